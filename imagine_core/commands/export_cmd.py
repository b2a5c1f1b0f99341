"""``imagine export RUN_DIR``: hand a trained run to the configured exporter."""

from __future__ import annotations

import argparse
from pathlib import Path

from imagine_core.console import out
from imagine_core.pipeline import instantiate
from imagine_core.plugins import get_plugins
from imagine_core.runs import latest_checkpoint, load_run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, help="a run folder written by `imagine run`")
    parser.add_argument("--out", type=Path, help="where to write (default: RUN_DIR/export/TYPE)")
    parser.add_argument("--type", help="exporter name (default: export.type of the run)")


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
