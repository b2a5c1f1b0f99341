"""``imagine export RUN_DIR``: hand a trained run to the configured exporter."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imagine_core.api import (
    Command,
    ConfigError,
    get_plugins,
    instantiate,
    latest_checkpoint,
    model_config,
    out,
    pipeline_from,
)


class Export(Command):
    help = "export a trained run (SavedModel, TFLite …)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("run_dir", type=Path, help="a run folder written by `imagine run`")
        parser.add_argument(
            "--out", type=Path, help="where to write (default: RUN_DIR/export/TYPE)"
        )
        parser.add_argument("--type", help="exporter name (default: export.type of the run)")
        parser.add_argument(
            "--quantize",
            choices=["none", "dynamic", "float16", "int8"],
            help="TFLite: weights to int8 (dynamic) or float16, or weights and activations "
            "to int8 calibrated on the run's training tiles (default: export.quantize, none)",
        )
        parser.add_argument(
            "--input-type",
            help="what the SavedModel takes: image_tensor (default), float_image_tensor, "
            "encoded_image_string_tensor or tf_example (the TF OD API's names)",
        )

    def run(self, args: argparse.Namespace) -> int:
        checkpoint = latest_checkpoint(args.run_dir)  # the run's loader says what is wrong
        pipeline, _ = model_config(args.run_dir)
        if args.type and args.type != pipeline.export.type:
            _choose_exporter(pipeline, args.type)
        if args.quantize:
            pipeline.export.quantize = args.quantize
        if args.input_type:
            pipeline.export.input_type = args.input_type
        plugins = get_plugins()
        record = plugins.registry.get("exporter", pipeline.export.type, where="export.type")
        target = args.out or args.run_dir / "export" / pipeline.export.type
        exporter = instantiate(record, pipeline.export, pipeline)
        written = exporter.export(pipeline, checkpoint, target)
        out.print(f"exported {checkpoint.name} to {written}")
        return 0


def _choose_exporter(pipeline: Any, name: str) -> None:
    """``--type NAME`` as ``export=NAME`` would have composed it: the settings of that
    group option, wherever a plugin keeps it (e.g. TFLite's 100 detections), else only
    the type."""
    try:
        pipeline.export.CopyFrom(pipeline_from([f"export={name}"]).export)
    except ConfigError:  # no such option: an exporter with the defaults of its fields
        pipeline.export.type = name
