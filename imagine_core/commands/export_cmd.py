"""``imagine export RUN_DIR``: hand a trained run to the configured exporter."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from imagine_core.console import out
from imagine_core.errors import ImagineError
from imagine_core.pipeline import instantiate, load_run
from imagine_core.plugins import get_plugins


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, help="a run folder written by `imagine run`")
    parser.add_argument("--out", type=Path, help="where to write (default: RUN_DIR/export/TYPE)")
    parser.add_argument("--type", help="exporter name (default: export.type of the run)")


def latest_checkpoint(run_dir: Path) -> Path:
    """The newest checkpoint a run wrote (TensorFlow's ``checkpoints/checkpoint`` index)."""
    folder = run_dir / "checkpoints"
    index = folder / "checkpoint"
    if index.is_file():
        match = re.search(r'^model_checkpoint_path:\s*"([^"]+)"', index.read_text(), re.M)
        if match:
            return folder / match.group(1)
    raise ImagineError(
        "no checkpoint in this run folder",
        where=str(run_dir),
        fix="train first with `imagine run` (its output folder is printed at the start)",
    )


def run(args: argparse.Namespace) -> int:
    pipeline = load_run(args.run_dir)
    if args.type:
        pipeline.export.type = args.type
    plugins = get_plugins()
    record = plugins.registry.get("exporter", pipeline.export.type, where="export.type")
    checkpoint = latest_checkpoint(args.run_dir)
    target = args.out or args.run_dir / "export" / pipeline.export.type
    exporter = instantiate(record, pipeline.export, pipeline)
    written = exporter.export(pipeline, checkpoint, target)
    out.print(f"exported {checkpoint.name} to {written}")
    return 0
