"""Hands a validated pipeline to the components the registry provides."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from imagine_core.build import instantiate, require_fit
from imagine_core.config.convert import to_text
from imagine_core.config.validate import chosen_component, component_choices
from imagine_core.errors import ComponentNotFoundError
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


def build(
    slot: Message,
    pipeline: Message,
    plugins: LoadedPlugins | None = None,
    *,
    contract: type | None = None,
    where: str = "",
) -> Any:
    """The component a slot message chooses (``matcher { argmax_matcher {…} }``), built,
    and checked against ``contract``: what the caller will use of it."""
    from imagine_core.plugins import get_plugins

    plugins = plugins or get_plugins()
    choice = chosen_component(slot)
    if choice is None:
        raise ComponentNotFoundError(
            f"{slot.DESCRIPTOR.name} chooses no component", fix="set one of its alternatives"
        )
    _, kind, name, _ = choice
    record = plugins.registry.get(kind, name)
    part = instantiate(record, slot, pipeline)
    if contract is not None:
        require_fit(part, record, contract, where)
    return part


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
    """Write the resolved pipeline.config, then run it on the configured runner."""
    record = plugins.registry.get("runner", pipeline.hardware.type, where="hardware.type")
    runner = instantiate(record, pipeline.hardware, pipeline)
    chief = getattr(runner, "chief", True)  # see Runner.chief
    if chief:  # written first: a run that cannot start still shows what it was asked
        run_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(run_dir / "pipeline.config", to_text(pipeline))
    require_components(pipeline, plugins)
    metrics = runner.run(pipeline, run_dir)
    if chief:
        # Again: components may have filled in what the config left open (num_classes).
        write_atomic(run_dir / "pipeline.config", to_text(pipeline))
        write_atomic(run_dir / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True))
    return metrics


def pipeline_from(overrides: list[str]) -> Message:
    """The pipeline ``imagine config show OVERRIDES`` prints: composed from the config
    groups of the core and every plugin, validated against the schema."""
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import build_pipeline
    from imagine_core.plugins import get_plugins

    return build_pipeline(compose(overrides), get_plugins())[0]
