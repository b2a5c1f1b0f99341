"""Training throughput: imagine's loop against a bare loop over the same compiled step.

    python tests/benchmarks/bench_train.py [--steps 60] [--sizes 256,512]

Three loops over the same batches and the same Keras model: Model Garden's own
RetinaNet train step (``RetinaNetTask.train_step``) in a bare loop; imagine's
compiled step (its registry losses, regularization, the optimizer) in a bare loop;
and imagine's loop around it (live display, summaries, checkpoints, the NaN check).
imagine's loop / Model Garden's step is the overhead (goal >= 0.95). Then the step
time of every bundled model (conf/model/) at each input size.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "conf" / "model"
MODELS = sorted(p.stem for p in CONF.glob("*.yaml"))  # every bundled model


def resized(model: str, size: int) -> list[str]:
    """Overrides that give a model inputs of size x size, whatever its resizer."""
    text = (CONF / f"{model}.yaml").read_text()
    arch = "faster_rcnn" if "\nfaster_rcnn:" in text else "ssd"
    if "keep_aspect_ratio_resizer" in text:
        keep = f"model.{arch}.image_resizer.keep_aspect_ratio_resizer"
        return [f"{keep}.min_dimension={size}", f"{keep}.max_dimension={size}"]
    fixed = f"model.{arch}.image_resizer.fixed_shape_resizer"
    return [f"{fixed}.height={size}", f"{fixed}.width={size}"]


def setup(overrides: list[str], work: Path):
    import tensorflow as tf

    from imagine_core.api import build
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import build_pipeline
    from imagine_core.plugins import get_plugins
    from imagine_plugins.runners.train import make_train_step
    from imagine_plugins.tfrecord.pipeline import build_input, record_files

    pipeline = build_pipeline(compose(overrides), get_plugins())[0]
    _, label_map = record_files(pipeline.train_input_reader)
    getattr(pipeline.model, pipeline.model.WhichOneof("model")).num_classes = len(label_map)
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


def model_garden_step(detector, optimizer, pipeline) -> object:
    """Model Garden's own RetinaNet train step (``RetinaNetTask.train_step``: its focal and
    Huber losses, its gradient update) on the same Keras model, as a tf.function."""
    import tensorflow as tf
    from official.vision.configs import retinanet as rcfg
    from official.vision.tasks.retinanet import RetinaNetTask

    ssd = pipeline.model.ssd
    config = rcfg.RetinaNetTask()
    config.model.num_classes = ssd.num_classes + 1
    focal = ssd.loss.classification_loss.weighted_sigmoid_focal
    config.losses.focal_loss_alpha, config.losses.focal_loss_gamma = focal.alpha, focal.gamma
    config.losses.huber_loss_delta = ssd.loss.localization_loss.weighted_smooth_l1.delta
    task = RetinaNetTask(config)

    @tf.function
    def step(batch):
        images, _ = detector.preprocess(batch["image"])
        return task.train_step((images, batch), detector.model, optimizer)

    return step


def rate(step_fn, batches, batch: int) -> float:
    start = time.perf_counter()
    for b in batches:
        step_fn(b)
    return len(batches) * batch / (time.perf_counter() - start)


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
        garden = model_garden_step(detector, optimizer, pipeline)
        for b in batches[:5]:
            train_step(b)  # compile and warm up
            garden(b)
        bare = rate(train_step, batches[5:], batch)
        garden_rate = rate(garden, batches[5:], batch)

        checkpoint = tf.train.Checkpoint(
            step=step, optimizer=optimizer, **detector.checkpoint_items()
        )
        manager = tf.train.CheckpointManager(checkpoint, str(work / "ckpt"), max_to_keep=2)
        pipeline.train_config.num_steps = int(step.numpy()) + args.steps
        start = time.perf_counter()
        _loop(
            train_step,
            iter(batches[5:]),
            step,
            schedule,
            manager,
            pipeline.train_config,
            work,
            tf.distribute.get_strategy(),
        )
        ours = args.steps * batch / (time.perf_counter() - start)
        print(
            f"default model, batch {batch} at 256 px: Model Garden's train step "
            f"{garden_rate:.1f} img/s, imagine's step in a bare loop {bare:.1f} img/s, "
            f"imagine's loop {ours:.1f} img/s; ratio imagine's loop / Model Garden "
            f"{ours / garden_rate:.3f}, imagine's loop / its bare step {ours / bare:.3f}"
        )

        for size in (int(s) for s in args.sizes.split(",")):
            for model in MODELS:
                overrides = [f"model={model}", "batch_size=4", *resized(model, size), *demo]
                _, _, _, _, _, step_fn, model_data = setup(overrides, work)
                model_batches = list(model_data.take(8))
                for b in model_batches[:3]:
                    step_fn(b)
                start = time.perf_counter()
                for b in model_batches[3:]:
                    step_fn(b)
                seconds = (time.perf_counter() - start) / 5
                per_second = 4 / seconds
                name = f"{model:<24} {size:>4} px, batch 4"
                print(f"{name}: {seconds * 1000:8.0f} ms/step {per_second:6.1f} img/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
