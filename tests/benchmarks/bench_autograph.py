"""What AutoGraph costs a run before its first step and its first detection, against the
same without it (as the runners and tfrecord plugins trace them), in the same run.

    python tests/benchmarks/bench_autograph.py [--size 64] [--batch 2] [--rounds 2]

For each small model of every meta-architecture, a fresh process builds the tiny
pipeline's model and times three first calls, where tracing is paid: the input
pipeline's first batch (its per-example functions: resizer, the model's target
assignment), the forward and backward pass of that batch, and a detection on it — each
traced without AutoGraph (``plain``) or with it (``autograph``). The two variants run
in turns, ``--rounds`` times each, in processes of their own: AutoGraph caches what it
converted, so only a fresh process pays what a user's run pays.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from bench_xla import tiny

MODELS = ("glyph_retinanet_small", "ssd_mobilenet_v2", "glyph_faster_rcnn_small")
PARTS = ("input", "train", "detect")


def first_calls(model: str, autograph: bool, size: int, batch: int) -> dict[str, float]:
    """In this process: the seconds of each first call, and the loss."""
    import tensorflow as tf

    from imagine_core.api import build
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import validate
    from imagine_core.plugins import get_plugins
    from imagine_plugins.runners.train import _losses
    from imagine_plugins.tfrecord.pipeline import build_input, record_files

    pipeline, report = validate(
        compose([f"model={model}", *tiny(model, size, batch)]), get_plugins()
    )
    if report.errors:
        raise SystemExit(f"{model}: the pipeline does not validate: {report.errors}")
    _, label_map = record_files(pipeline.train_input_reader)
    getattr(pipeline.model, pipeline.model.WhichOneof("model")).num_classes = len(label_map)
    detector = build(pipeline.model, pipeline)
    if autograph:  # the input pipeline's functions as tf.data converts them by default
        tf.autograph.experimental.do_not_convert = lambda fn: fn
    figures = {}
    start = time.perf_counter()
    data, _ = build_input(pipeline, training=True, label_fn=getattr(detector, "label_fn", None))
    first = next(iter(data))
    figures["input"] = time.perf_counter() - start

    def forward_backward(batch):
        with tf.GradientTape() as tape:
            total, _ = _losses(detector, batch, True)
        return total, tape.gradient(total, detector.trainable_variables)

    start = time.perf_counter()
    figures["loss"] = float(tf.function(forward_backward, autograph=autograph)(first)[0])
    figures["train"] = time.perf_counter() - start
    start = time.perf_counter()
    tf.function(detector.detect, autograph=autograph)(tf.cast(first["image"], tf.float32))
    figures["detect"] = time.perf_counter() - start
    return figures


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--child", help=argparse.SUPPRESS)  # MODEL:plain|autograph
    args = parser.parse_args()
    if args.child:
        model, variant = args.child.split(":")
        print(json.dumps(first_calls(model, variant == "autograph", args.size, args.batch)))
        return
    print(f"batch {args.batch} at {args.size} px; median seconds of {args.rounds} processes each")
    print(f"{'model':24} {'variant':9} " + " ".join(f"{p:>7}" for p in PARTS) + "   total  loss")
    for model in args.models.split(","):
        runs: dict[str, list[dict[str, float]]] = {"plain": [], "autograph": []}
        for _ in range(args.rounds):
            for variant in runs:
                child = [sys.executable, __file__, f"--child={model}:{variant}"]
                child += [f"--size={args.size}", f"--batch={args.batch}"]
                done = subprocess.run(child, capture_output=True, text=True, check=True)
                runs[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
        totals = {}
        for variant, found in runs.items():
            parts = {p: statistics.median(f[p] for f in found) for p in PARTS}
            totals[variant] = sum(parts.values())
            loss = statistics.median(f["loss"] for f in found)
            cells = " ".join(f"{parts[p]:7.1f}" for p in PARTS)
            print(f"{model:24} {variant:9} {cells} {totals[variant]:7.1f} {loss:5.2f}")
        print(
            f"{model:24} autograph/plain: {totals['autograph'] / totals['plain']:.2f}", flush=True
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
