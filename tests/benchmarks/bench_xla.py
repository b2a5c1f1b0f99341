"""Step time of the TPU-shaped models, XLA-compiled on this CPU, against the same step
without XLA in the same run.

    python tests/benchmarks/bench_xla.py [--steps 10] [--size 128] [--batch 2]

For RetinaNet (glyph_retinanet_small), classic SSD (ssd_mobilenet_v2) and Faster R-CNN
(glyph_faster_rcnn_small): the ``hardware=tpu`` pipeline (static shapes, padded ground
truth, matmul gathers, mixed_bfloat16), trained on the CPU's default strategy, with
``jit_compile`` off and on. The first call (tracing and compiling) is timed apart from
the steps after it. A CPU is not what XLA or bfloat16 is for: these figures say that
the TPU-shaped graph compiles and what a step costs here, not how fast a TPU is.
"""

from __future__ import annotations

import argparse
import time

MODELS = ("glyph_retinanet_small", "ssd_mobilenet_v2", "glyph_faster_rcnn_small")


def tiny(model: str, size: int, batch: int) -> list[str]:
    arch = "faster_rcnn" if "rcnn" in model else "ssd"
    params = "train_input_reader.plugin.params"
    return [
        f"{params}.train_pages=2",
        f"{params}.eval_pages=1",
        f"{params}.width=256",
        f"{params}.height=192",
        f"batch_size={batch}",
        f"model.{arch}.image_resizer.fixed_shape_resizer.height={size}",
        f"model.{arch}.image_resizer.fixed_shape_resizer.width={size}",
    ]


def tpu_pipeline(model: str, size: int, batch: int):
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import validate
    from imagine_core.plugins import get_plugins

    overrides = [f"model={model}", "hardware=tpu", "+hardware.num_devices=1"]
    pipeline, report = validate(compose([*overrides, *tiny(model, size, batch)]), get_plugins())
    if report.errors:
        raise SystemExit(f"{model}: the TPU pipeline does not validate: {report.errors}")
    return pipeline


def step_times(model: str, args: argparse.Namespace) -> dict[str, float]:
    import tensorflow as tf

    from imagine_core.api import build
    from imagine_plugins.runners.train import make_train_step, set_precision
    from imagine_plugins.tfrecord.pipeline import build_input, record_files

    pipeline = tpu_pipeline(model, args.size, args.batch)
    _, label_map = record_files(pipeline.train_input_reader)
    getattr(pipeline.model, pipeline.model.WhichOneof("model")).num_classes = len(label_map)
    set_precision(pipeline.hardware.mixed_precision)
    detector = build(pipeline.model, pipeline)
    config = pipeline.train_config
    chosen = getattr(config.optimizer, config.optimizer.WhichOneof("optimizer"))
    optimizer = build(config.optimizer, pipeline)(build(chosen.learning_rate, pipeline).keras())
    step = tf.Variable(0, dtype=tf.int64)
    data, _ = build_input(pipeline, training=True, label_fn=getattr(detector, "label_fn", None))
    batches = list(data.take(args.steps + 1))
    figures = {}
    for name, jit in (("plain", False), ("xla", True)):
        train_step = make_train_step(detector, optimizer, step, config, jit_compile=jit)
        start = time.perf_counter()
        float(train_step(batches[0])[0])
        figures[f"{name}_first_s"] = time.perf_counter() - start
        start = time.perf_counter()
        for batch in batches[1:]:
            float(train_step(batch)[0])
        figures[f"{name}_ms"] = 1000 * (time.perf_counter() - start) / args.steps
    set_precision("")
    return figures


def main() -> None:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    print(f"batch {args.batch} at {args.size} px, {args.steps} steps after the first call")
    print(f"{'model':26} {'first (s)':>15} {'ms/step':>17} {'xla/plain':>9}")
    print(f"{'':26} {'plain':>7} {'xla':>7} {'plain':>8} {'xla':>8}")
    for model in args.models.split(","):
        f = step_times(model, args)
        print(
            f"{model:26} {f['plain_first_s']:7.1f} {f['xla_first_s']:7.1f} "
            f"{f['plain_ms']:8.0f} {f['xla_ms']:8.0f} {f['xla_ms'] / f['plain_ms']:9.2f}",
            flush=True,
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
