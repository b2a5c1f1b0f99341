"""``imagine eval RUN_DIR``: evaluate a run's newest checkpoint on its eval pages."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from imagine_core.contracts import Command
from imagine_core.errors import ImagineError


class Eval(Command):
    help = "evaluate a trained run (its newest checkpoint) on its eval pages"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("run_dir", type=Path, help="a run folder written by `imagine run`")

    def run(self, args: argparse.Namespace) -> int:
        import tensorflow as tf

        from imagine_core.pipeline import build, load_run
        from imagine_plugins.runners.evaluate import evaluate
        from imagine_plugins.tfrecord.pipeline import record_files

        pipeline = load_run(args.run_dir)
        latest = tf.train.latest_checkpoint(str(args.run_dir / "checkpoints"))
        if latest is None:
            raise ImagineError(
                "the run has no checkpoint yet",
                where=str(args.run_dir),
                fix="train first: rerun its `imagine run` command",
            )
        _, label_map = record_files(pipeline.train_input_reader)
        model = getattr(pipeline.model, pipeline.model.WhichOneof("model"))
        if not model.num_classes:
            model.num_classes = len(label_map)
        detector = build(pipeline.model, pipeline)
        tf.train.Checkpoint(**detector.checkpoint_items()).read(latest).expect_partial()
        metrics = evaluate(pipeline, detector, label_map, args.run_dir)
        (args.run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        return 0
