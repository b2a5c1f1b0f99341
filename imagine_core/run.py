"""``imagine run``: Hydra's main, so -m, sweepers and launchers work as Hydra documents.

Before Hydra starts, the overrides are composed once with the compose API and
validated, so that a mistake gets imagine's one-message error (exit code 2)
rather than Hydra's report. With -m, the first value of each sweep is checked.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from imagine_core import __version__
from imagine_core.config.compose import CONFIG_NAME, compose, finish, prepare_overrides
from imagine_core.config.locations import conf_dir, register_resolvers
from imagine_core.config.validate import build_pipeline, validate
from imagine_core.console import copied_to, err, out, report_error
from imagine_core.errors import ConfigError, ImagineError
from imagine_core.pipeline import RUN_SECTIONS, execute
from imagine_core.plugins import get_plugins

register_resolvers()


def hydra_arguments(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed by Hydra's own parser, so every flag means what it means to Hydra.

    Hydra keeps the parser in a private module; it is the one ``hydra.main`` uses.
    """
    from hydra._internal.utils import get_args_parser

    return get_args_parser().parse_args(argv)


def _check_hydra_overrides(overrides: list[str]) -> None:
    """``hydra.*`` overrides go to Hydra's own main, not through composition: one that
    Hydra cannot parse (a folder named ``lr=0.1,steps=2``) gets imagine's message here,
    not Hydra's parse error (exit 1) later."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create()
    for override in overrides:
        try:
            parser.parse_overrides([override])
        except OverrideParseException:
            key, _, value = override.partition("=")
            raise ConfigError(
                f"cannot parse the override {override!r} (a value with '=', ',', spaces or "
                "brackets must be quoted)",
                where=f"command line: {key}",
                fix=f"quote the value, e.g. {key}='{value}' (in the shell: \"{key}='{value}'\")",
            ) from None


def precheck(args: argparse.Namespace) -> None:
    """Compose and validate what Hydra is about to run; raise ImagineError if it cannot.

    Help and shell completion compose nothing; ``--cfg`` and ``--info`` only compose
    (a mistake in an override still gets imagine's message), since they run nothing.
    """
    if args.help or args.hydra_help or args.shell_completion:
        return
    _check_hydra_overrides([o for o in args.overrides if o.lstrip("+~").startswith("hydra.")])
    overrides = [
        o for o in args.overrides if not o.startswith("hydra") or o.startswith("hydra.searchpath=")
    ]
    composed = compose(
        _first_of_sweeps(overrides),
        config_name=args.config_name or CONFIG_NAME,
        primary_dir=_config_path(args.config_path),
        extra_dirs=(Path(args.config_dir),) if args.config_dir else (),
    )
    if args.cfg or args.info:
        return
    plugins = get_plugins()
    pipeline, report = validate(composed, plugins)
    if pipeline is not None and pipeline.hardware.type == "cpu":
        # The CPU was asked for: keep TensorFlow from probing for CUDA (and saying so).
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
    for leaf in report.unread_fields:  # never dropped in silence
        if leaf.split(".")[0] in RUN_SECTIONS:
            err.print(f"[yellow]warning:[/yellow] {leaf} is set but no loaded plugin reads it")
    problems = report.errors + report.missing_paths
    if problems:
        from imagine_core.config.report import raise_problems

        raise_problems(problems, "the pipeline cannot run")


def _config_path(config_path: str | None) -> Path | None:
    """Hydra's ``--config-path``: absolute, or relative to the file of ``hydra.main``."""
    if config_path is None:
        return None
    return (Path(__file__).parent / config_path).resolve()


def _first_of_sweeps(overrides: list[str]) -> list[str]:
    """One job of the sweep to check: the first value of each list or range, the low end
    of an interval (which only a sweeper such as optuna samples)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create()
    for text in overrides:  # one at a time, so the message names the one that is wrong
        try:
            parser.parse_overrides([text])
        except OverrideParseException as exc:
            raise ConfigError(
                f"{exc.message.splitlines()[0]}",
                where=f"command line: {text!r}",
                fix="write key=value with a key of letters, digits, _ . / - and a value Hydra "
                "reads (quote lists: 'steps=[1,2]'); see "
                "https://hydra.cc/docs/advanced/override_grammar/basic/",
            ) from None
    parsed = parser.parse_overrides(overrides)
    result = []
    for text, override in zip(overrides, parsed, strict=True):
        if not override.is_sweep_override():
            result.append(text)
        elif override.is_interval_sweep():
            result.append(f"{override.get_key_element()}={override.value().start}")
        else:
            first = next(iter(override.sweep_string_iterator()))
            result.append(f"{override.get_key_element()}={first}")
    return result


def job(cfg: DictConfig) -> float | None:
    """One Hydra job: compose, validate, write pipeline.config, run; return the primary metric.

    Module-level and undecorated, so that launchers running jobs in other processes
    (joblib) pickle it by reference, not with everything its module holds.
    """
    hydra_cfg = HydraConfig.get()
    for noisy in ("absl", "tensorflow", "h5py"):  # Hydra's logging would show their INFO lines
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log = next(
        (h.stream for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler)),
        None,
    )  # Hydra's job log, unless hydra/job_logging=disabled
    with copied_to(log) if log is not None else nullcontext():
        return _run_job(cfg, hydra_cfg)


def _run_job(cfg: DictConfig, hydra_cfg: Any) -> float | None:
    try:
        composed = finish(cfg, list(hydra_cfg.overrides.task), [])
        plugins = get_plugins()
        pipeline, applied = build_pipeline(composed, plugins)
        run_dir = Path(hydra_cfg.runtime.output_dir)
        for line in applied:
            err.print(f"applied {line}")
        err.print(f"run folder: {run_dir}")
        metrics = execute(pipeline, run_dir, plugins)
    except ImagineError as exc:
        # Hydra would print a traceback; a user's mistake gets one message and exit code 2.
        raise SystemExit(report_error(exc)) from None
    primary = metrics.get("primary")
    return float(primary) if primary is not None else None


task = hydra.main(config_path=str(conf_dir()), config_name="config", version_base="1.3")(job)


def main(argv: list[str]) -> int:
    # TensorFlow's C++ start-up chatter says nothing a user can act on.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "--version" in argv:  # Hydra's flag would name Hydra alone
        out.print(f"imagine {__version__} (Hydra {hydra.__version__})", highlight=False)
        return 0
    argv = prepare_overrides(argv)
    args = hydra_arguments(argv)
    precheck(args)
    saved = sys.argv
    # Shell completion names the program after argv[0]: the script it installs completes
    # `imagine`, and asks `imagine -sc query=…`, which the cli hands back here.
    sys.argv = ["imagine" if args.shell_completion else "imagine run", *argv]
    if args.shell_completion and "COMP_LINE" in os.environ:
        os.environ["COMP_LINE"] = re.sub(r"^(\s*\S+)\s+run(?=\s|$)", r"\1", os.environ["COMP_LINE"])
    try:
        from imagine_core.config import short_keys

        short_keys.store()  # composed again by Hydra: --help and --cfg need the keys too
        task()
    finally:
        sys.argv = saved
    return 0


__all__ = ["job", "main", "task"]
