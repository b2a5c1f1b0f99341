"""Hands a validated pipeline to the components the registry provides."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from google.protobuf.message import Message

from imagine_core.build import instantiate
from imagine_core.config.convert import to_text
from imagine_core.config.validate import component_choices
from imagine_core.console import err
from imagine_core.errors import ComponentNotFoundError, PluginError
from imagine_core.plugins import LoadedPlugins

# What `imagine run` uses; `export` and `ocr` are for `imagine export` and `imagine ocr`.
RUN_SECTIONS = (
    "model",
    "train_config",
    "train_input_reader",
    "eval_config",
    "eval_input_reader",
    "hardware",
)


def require_components(
    pipeline: Message, plugins: LoadedPlugins, sections: tuple[str, ...] = RUN_SECTIONS
) -> None:
    """Raise one error naming every component of ``sections`` that no plugin provides."""
    missing = []
    for path, kind, name, free in component_choices(pipeline):
        if path.split(".")[0].split("[")[0] not in sections:
            continue
        if plugins.registry.find(kind, name) is None:
            fix = plugins.registry.not_found(kind, name).fix if free else ""
            missing.append(f"  - {kind} {name!r} (chosen at {path})" + (f": {fix}" if fix else ""))
    if missing:
        raise ComponentNotFoundError(
            "the pipeline needs components that no loaded plugin provides:\n"
            + "\n".join(missing)
            + f"\n  {plugins.describe()}",
            fix="install the plugin that provides them (`imagine plugins` lists what is loaded)",
        )


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write through a temporary file and a rename: a reader never sees half a file, and
    a symlink at ``path`` is replaced, not followed out of the folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        tmp.write_text(data, encoding="utf-8")
    tmp.replace(path)


def publish_folder(tmp: Path, out: Path, *, replace: bool) -> None:
    """Move a finished folder into place in one rename. Without ``replace``, a folder that
    another process published first wins (parallel sweep jobs build the same cache)."""
    if out.exists() and replace:
        shutil.rmtree(out)
    try:
        tmp.replace(out)
    except OSError:
        if not out.exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def execute(pipeline: Message, run_dir: Path, plugins: LoadedPlugins) -> dict[str, float]:
    """Resolve the pipeline, write it as pipeline.config, run it on the configured runner.

    After ``imagine_resolve_pipeline`` the pipeline is read-only: the run folder's
    pipeline.config is exactly what every component was given."""
    record = plugins.registry.get("runner", pipeline.hardware.type, where="hardware.type")
    runner = instantiate(record, pipeline.hardware, pipeline)
    chief = getattr(runner, "chief", True)  # see Runner.chief
    if chief:  # written first: a run that cannot start still shows what it was asked
        run_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(run_dir / "pipeline.config", to_text(pipeline))
    require_components(pipeline, plugins)
    runner.start()
    for lines in plugins.call("imagine_resolve_pipeline", list_of=str, pipeline=pipeline):
        for line in lines or []:
            err.print(f"[cyan]filled[/cyan] {line}", markup=True, highlight=False)
    resolved = to_text(pipeline)
    if chief:
        write_atomic(run_dir / "pipeline.config", resolved)
    metrics = runner.run(pipeline, run_dir)
    _require_unchanged(resolved, to_text(pipeline), record.plugin)
    if chief:
        write_atomic(run_dir / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True))
    return metrics


def _require_unchanged(resolved: str, now: str, runner_plugin: str) -> None:
    if now == resolved:
        return
    import difflib

    changed = [
        line.strip()
        for line in difflib.unified_diff(resolved.splitlines(), now.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    raise PluginError(
        "the pipeline changed while the run used it (after it was resolved and written to "
        "pipeline.config): " + "; ".join(changed[:4]),
        where=f"the run of plugin {runner_plugin!r} and the components it built",
        fix="fill derived values in imagine_resolve_pipeline (or imagine_fit_pipeline), "
        "not while building or training (docs/plugins.md, 'The hooks')",
    )


def pipeline_from(overrides: list[str]) -> Message:
    """The pipeline ``imagine config show OVERRIDES`` prints: composed from the config
    groups of the core and every plugin, validated against the schema."""
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import build_pipeline
    from imagine_core.plugins import get_plugins

    return build_pipeline(compose(overrides), get_plugins())[0]
