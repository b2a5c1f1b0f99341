"""``imagine run``: Hydra's main, so -m, sweepers and launchers work as Hydra documents.

Before Hydra starts, the overrides are composed once with the compose API and
validated, so that a mistake gets imagine's one-message error (exit code 2)
rather than Hydra's report. With -m, the first value of each sweep is checked.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from imagine_core.config.compose import compose, finish, prepare_overrides
from imagine_core.config.locations import conf_dir, register_resolvers
from imagine_core.config.validate import build_pipeline, validate
from imagine_core.console import err
from imagine_core.errors import ImagineError
from imagine_core.pipeline import RUN_SECTIONS, execute
from imagine_core.plugins import get_plugins

register_resolvers()


def precheck(argv: list[str]) -> None:
    """Compose and validate what Hydra is about to run; raise ImagineError if it cannot."""
    overrides = [a for a in argv if not a.startswith("-") and not a.startswith("hydra")]
    if not overrides and any(a in ("--help", "-h", "--hydra-help", "--info") for a in argv):
        return
    composed = compose(_first_of_sweeps(overrides))
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


def _first_of_sweeps(overrides: list[str]) -> list[str]:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    result = []
    for text, override in zip(overrides, parsed, strict=True):
        if override.is_sweep_override():
            first = next(iter(override.sweep_string_iterator()))
            result.append(f"{override.get_key_element()}={first}")
        else:
            result.append(text)
    return result


def job(cfg: DictConfig) -> float | None:
    """One Hydra job: compose, validate, write pipeline.config, run; return the primary metric.

    Module-level and undecorated, so that launchers running jobs in other processes
    (joblib) pickle it by reference, not with everything its module holds.
    """
    hydra_cfg = HydraConfig.get()
    for noisy in ("absl", "tensorflow", "h5py"):  # Hydra's logging would show their INFO lines
        logging.getLogger(noisy).setLevel(logging.WARNING)
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
        from imagine_core.cli import report_error

        raise SystemExit(report_error(exc)) from None
    primary = metrics.get("primary")
    return float(primary) if primary is not None else None


task = hydra.main(config_path=str(conf_dir()), config_name="config", version_base="1.3")(job)


def main(argv: list[str]) -> int:
    # TensorFlow's C++ start-up chatter says nothing a user can act on.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = prepare_overrides(argv)
    precheck(argv)
    saved = sys.argv
    sys.argv = ["imagine run", *argv]
    try:
        task()
    finally:
        sys.argv = saved
    return 0


__all__ = ["job", "main", "task"]
