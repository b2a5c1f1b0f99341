"""Training throughput: imagine's loop against a bare loop over the same compiled step.

    python tests/benchmarks/bench_train.py [--steps 60] [--sizes 256,512]

The bare loop calls the same tf.function (Model Garden's RetinaNet forward pass,
the configured losses, the optimizer) on the same batches with nothing around
it; imagine's loop adds the live display, summaries, checkpoints and the NaN
check. Their ratio is imagine's overhead (goal >= 0.95). Then the step time of
every buildable bundled model at each input size.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

MODELS = ["glyph_retinanet_small", "ssd_mobilenet_v1_fpn", "ssd_resnet50_fpn"]


def setup(overrides: list[str], work: Path):
    import tensorflow as tf

    from imagine_core.config.compose import compose
    from imagine_core.config.validate import build_pipeline
    from imagine_core.pipeline import build
    from imagine_core.plugins import get_plugins
    from imagine_plugins.runners.train import make_train_step
    from imagine_plugins.tfrecord.pipeline import build_input, record_files

    pipeline = build_pipeline(compose(overrides), get_plugins())[0]
    _, label_map = record_files(pipeline.train_input_reader)
    pipeline.model.ssd.num_classes = len(label_map)
    detector = build(pipeline.model, pipeline)
    config = pipeline.train_config
    chosen = getattr(config.optimizer, config.optimizer.WhichOneof("optimizer"))
    schedule = build(chosen.learning_rate, pipeline)
    optimizer = build(config.optimizer, pipeline)(schedule.keras())
    step = tf.Variable(0, dtype=tf.int64)
    data, _ = build_input(pipeline, training=True, label_fn=detector.label_fn)
    return (
        pipeline,
        detector,
        optimizer,
        step,
        schedule,
        make_train_step(detector, optimizer, step, config),
        data,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--sizes", default="256,512")
    args = parser.parse_args()

    import tensorflow as tf

    from imagine_plugins.runners.train import _loop

    work = Path(tempfile.mkdtemp(prefix="imagine-bench-"))
    p = "train_input_reader.plugin.params"
    demo = [f"{p}.train_pages=4", f"{p}.eval_pages=1", f"{p}.directory={work / 'demo'}"]
    try:
        pipeline, detector, optimizer, step, schedule, train_step, data = setup(demo, work)
        batch = pipeline.train_config.batch_size
        batches = list(data.take(args.steps + 5))  # the same batches for both loops
        for b in batches[:5]:
            train_step(b)  # compile and warm up
        start = time.perf_counter()
        for b in batches[5:]:
            train_step(b)
        bare = args.steps * batch / (time.perf_counter() - start)

        checkpoint = tf.train.Checkpoint(
            step=step, optimizer=optimizer, **detector.checkpoint_items()
        )
        manager = tf.train.CheckpointManager(checkpoint, str(work / "ckpt"), max_to_keep=2)
        pipeline.train_config.num_steps = int(step.numpy()) + args.steps
        start = time.perf_counter()
        _loop(train_step, iter(batches[5:]), step, schedule, manager, pipeline.train_config, work)
        ours = args.steps * batch / (time.perf_counter() - start)
        print(
            f"default model, batch {batch} at 256 px: bare step loop {bare:.1f} img/s, "
            f"imagine's loop {ours:.1f} img/s, ratio {ours / bare:.3f}"
        )

        for size in (int(s) for s in args.sizes.split(",")):
            for model in MODELS:
                resize = [
                    f"model.ssd.image_resizer.fixed_shape_resizer.{k}={size}"
                    for k in ("height", "width")
                ]
                overrides = [f"model={model}", "batch_size=4", *resize, *demo]
                _, _, _, _, _, step_fn, model_data = setup(overrides, work)
                model_batches = list(model_data.take(8))
                for b in model_batches[:3]:
                    step_fn(b)
                start = time.perf_counter()
                for b in model_batches[3:]:
                    step_fn(b)
                seconds = (time.perf_counter() - start) / 5
                rate = 4 / seconds
                name = f"{model:<24} {size:>4} px, batch 4"
                print(f"{name}: {seconds * 1000:8.0f} ms/step {rate:6.1f} img/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
