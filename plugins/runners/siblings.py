"""A new run beside a run of the same settings but another step count.

Run folders are named by their command line's overrides, so ``imagine run steps=20`` after
``imagine run steps=10`` trains from step 0 in a new folder. A user who wanted the first
run to go on is told where it is and how to continue it (its folder named with
``hydra.run.dir=``: a run resumes from its newest checkpoint, up to the steps it is given).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from imagine_core.api import ImagineError, err, read_pipeline
from imagine_plugins.runners.run_folder import latest_checkpoint

MOST = 200  # sibling folders looked at: a crowded outputs/ folder is not read whole


def _settings(pipeline: Any) -> bytes:
    """The pipeline without its step count, as bytes to compare."""
    copy = type(pipeline)()
    copy.CopyFrom(pipeline)
    copy.train_config.ClearField("num_steps")
    return copy.SerializeToString(deterministic=True)


def _newest_step(folder: Path) -> int | None:
    """The step of the run's newest checkpoint (None: not a run folder with one)."""
    try:
        newest = latest_checkpoint(folder)
    except ImagineError:
        return None
    match = re.search(r"ckpt-(\d+)$", newest.name)
    return int(match.group(1)) if match else None


def same_run_elsewhere(pipeline: Any, run_dir: Path) -> tuple[Path, int] | None:
    """A folder beside ``run_dir`` trained with the same settings but for its step count,
    and its newest checkpoint's step (the furthest such run), or None."""
    wanted = _settings(pipeline)
    found: tuple[Path, int] | None = None
    siblings = sorted(p for p in run_dir.parent.iterdir() if p.is_dir() and p != run_dir)
    for folder in siblings[:MOST]:
        step = _newest_step(folder) if (folder / "pipeline.config").is_file() else None
        if step is None or (found is not None and step <= found[1]):
            continue
        try:
            same = _settings(read_pipeline(folder / "pipeline.config")) == wanted
        except ImagineError:  # another tool's or an older version's folder
            continue
        if same:
            found = (folder, step)
    return found


def say_if_same_run_elsewhere(pipeline: Any, run_dir: Path) -> None:
    found = same_run_elsewhere(pipeline, run_dir)
    if found is None:
        return
    folder, step = found
    steps = pipeline.train_config.num_steps
    err.print(
        f"note: {folder} holds a run of the same settings, at step {step}; this one starts "
        f"from step 0 in {run_dir}. To continue that one to {steps} steps instead, run the "
        f"same command with hydra.run.dir={folder}",
        highlight=False,
    )
