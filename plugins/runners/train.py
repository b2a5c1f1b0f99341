"""The training loop every runner shares: resumable, checkpointed, with a live display.

A checkpoint is written every ``checkpoint_every_n_steps`` and at the end
(TensorFlow writes the files, then swaps the ``checkpoint`` index, so a kill
leaves the previous one usable); a rerun into the same folder resumes from the
newest, passing over a damaged one. A NaN or infinite loss stops the run with the last
good checkpoint kept; Ctrl-C saves the current step first.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from imagine_core.api import ImagineError, LabelMap, build, err, get_plugins, make, model_folder
from imagine_plugins.runners.siblings import say_if_same_run_elsewhere

# The input pipeline runners train on (registry kind input_pipeline; the tfrecord plugin's).
INPUT_PIPELINE = "tfrecord"


def _model_message(pipeline: Any) -> Any:
    name = pipeline.model.WhichOneof("model")
    if name is None:
        raise ImagineError("the pipeline has no model", where="model", fix="choose one: model=…")
    return getattr(pipeline.model, name)


def _checkpoint_of(path: str) -> tuple[str, Path | None]:
    """A checkpoint prefix, or an imagine run folder's newest checkpoint; and the label map
    of the run that wrote it, where there is one."""
    from imagine_plugins.runners.run_folder import latest_checkpoint

    given = model_folder(Path(path).expanduser())  # a shipped model's name: its folder
    if given.is_dir():
        run = given.parent if given.name == "checkpoints" else given
        return str(latest_checkpoint(run)), run / "label_map.pbtxt"
    label_map = given.parent.parent / "label_map.pbtxt"  # RUN/checkpoints/ckpt-N
    return path, label_map if label_map.is_file() else None


def _fine_tune(detector: Any, train_config: Any, label_map: LabelMap) -> None:
    """Load ``fine_tune_checkpoint``: the whole detector, or only its backbone. A detection
    checkpoint of an imagine run with other characters keeps everything but the class head,
    which starts afresh for this run's label map: a new script trains from what an earlier
    model learned about ink, strokes and where glyphs are."""
    import tensorflow as tf

    path, earlier_labels = _checkpoint_of(train_config.fine_tune_checkpoint)
    kind = train_config.fine_tune_checkpoint_type or (
        "detection" if train_config.from_detection_checkpoint else "classification"
    )
    if kind not in ("detection", "classification"):
        raise ImagineError(
            f"unknown fine_tune_checkpoint_type {kind!r}",
            where="train_config.fine_tune_checkpoint_type",
            fix="use 'detection' or 'classification'",
        )
    items = detector.checkpoint_items()
    what = f"{kind} checkpoint"
    earlier = LabelMap.read(earlier_labels) if earlier_labels is not None else None
    other_characters = kind == "detection" and earlier is not None and earlier.ids != label_map.ids
    if kind == "classification":
        items = {"model": tf.train.Checkpoint(backbone=items["model"].backbone)}
    elif other_characters:
        if not hasattr(detector, "fine_tune_items"):
            raise ImagineError(
                "the checkpoint was trained on other characters and this model cannot "
                "rebuild its class head alone",
                where="train_config.fine_tune_checkpoint",
                fix="use fine_tune_checkpoint_type: classification (the backbone only), "
                "or the same label map",
            )
        items = detector.fine_tune_items()
    try:
        tf.train.Checkpoint(**items).read(path).expect_partial()
        if other_characters:
            what = _carry_classes(detector, path, earlier, label_map)
    except (tf.errors.OpError, ValueError) as exc:
        raise ImagineError(
            f"cannot load the checkpoint: {exc}", where="train_config.fine_tune_checkpoint"
        ) from None
    err.print(f"initialised from {what} {path}")


def _carry_classes(detector: Any, path: str, earlier: LabelMap, label_map: LabelMap) -> str:
    """The class head's outputs for the characters both label maps have, copied from the
    checkpoint (``carry_classes``, where the model has it): a Latin document fine-tuned
    from another Latin run keeps what it knew of every shared letter, and only its new
    characters start afresh. Says what happened, for the run's log."""
    shared = {
        label_map.ids[name]: earlier.ids[name]
        for name in label_map.names
        if name in earlier and label_map.ids[name] <= len(label_map)
        and earlier.ids[name] <= len(earlier)
    }  # fmt: skip
    carry = getattr(detector, "carry_classes", None)
    carried = carry(path, {0: 0, **shared}, len(earlier) + 1) if carry and shared else 0
    if not carried:
        return "detection checkpoint (other characters: its class head starts afresh)"
    return (
        f"detection checkpoint (other characters: {carried} of this run's {len(label_map)} "
        "carried over by character, the others start afresh)"
    )


def resolve(pipeline: Any) -> list[str]:
    """What a run derives from its training data, filled in before anything is built
    (``imagine_resolve_pipeline``): ``num_classes`` from the label map, and what plugins
    measure on the training pages (``imagine_fill_from_pages``), and the shipped model it
    starts from (``start``)."""
    from imagine_plugins.runners.start import start_from

    inputs = make(get_plugins().registry.get("input_pipeline", INPUT_PIPELINE))
    files, label_map = inputs.records(pipeline.train_input_reader)
    model_message = _model_message(pipeline)
    filled = []
    if not model_message.num_classes:
        model_message.num_classes = len(label_map)
        name = pipeline.model.WhichOneof("model")
        filled.append(f"model.{name}.num_classes={len(label_map)} (the label map's classes)")
    elif model_message.num_classes < len(label_map):
        raise ImagineError(
            f"num_classes is {model_message.num_classes} but the label map has "
            f"{len(label_map)} classes",
            where="model.*.num_classes",
            fix="leave num_classes unset to take it from the label map",
        )
    return filled + fill_from_pages(pipeline, files) + start_from(pipeline)


def fill_from_pages(pipeline: Any, files: list[Path], pages: int = 64) -> list[str]:
    """Hand (up to ``pages``) decoded training pages to the plugins that fill in what the
    pipeline learns from them (``imagine_fill_from_pages``: the OCR plugin's glyph
    heights); return what they filled."""
    import tensorflow as tf

    spec = {"image/encoded": tf.io.FixedLenFeature([], tf.string)}
    images = [
        tf.io.decode_image(
            tf.io.parse_single_example(raw, spec)["image/encoded"], channels=1
        ).numpy()[..., 0]
        for raw in tf.data.TFRecordDataset([str(f) for f in files]).take(pages)
    ]
    found = get_plugins().call(
        "imagine_fill_from_pages", list_of=str, pipeline=pipeline, pages=images
    )
    return [line for lines in found for line in lines or []]


PRECISIONS = ("mixed_float16", "mixed_bfloat16")


def set_precision(policy: str) -> None:
    """``hardware.mixed_precision``: layers compute in 16 bits, variables stay float32
    (so checkpoints load into a float32 model); losses are computed in float32."""
    import tf_keras

    if policy and policy not in PRECISIONS:
        raise ImagineError(
            f"unknown mixed precision policy {policy!r}",
            where="hardware.mixed_precision",
            fix=f"use one of {', '.join(PRECISIONS)}, or leave it empty for float32",
        )
    tf_keras.mixed_precision.set_global_policy(policy or "float32")
    if policy:
        err.print(f"mixed precision: {policy} (hardware.mixed_precision)")


def train(pipeline: Any, run_dir: Path, strategy: Any, chief: bool = True) -> tuple[Any, LabelMap]:
    """Train ``pipeline`` under ``strategy`` into ``run_dir``. A worker that is not the
    ``chief`` trains in step with the others but keeps its checkpoints in a temporary
    folder (tf.distribute has every worker save) and writes nothing into ``run_dir``."""
    import tensorflow as tf

    inputs = make(get_plugins().registry.get("input_pipeline", INPUT_PIPELINE))
    config = pipeline.train_config
    replicas = strategy.num_replicas_in_sync
    if config.batch_size % replicas:
        raise ImagineError(
            f"batch_size {config.batch_size} cannot be split over {replicas} replicas",
            where="train_config.batch_size",
            fix=f"use a multiple of {replicas} (it is the global batch: each replica gets "
            f"batch_size / {replicas})",
        )
    _, label_map = inputs.records(pipeline.train_input_reader)  # resolve() converted them
    if chief:
        run_dir.mkdir(parents=True, exist_ok=True)
        label_map.write(run_dir / "label_map.pbtxt")  # evaluation, export and OCR read it
    set_precision(pipeline.hardware.mixed_precision)
    with strategy.scope():
        detector, schedule, optimizer, step = _trainable(pipeline, label_map)
        checkpoint = tf.train.Checkpoint(
            step=step, optimizer=optimizer, **detector.checkpoint_items()
        )
    keep = config.max_checkpoints_to_keep or 3
    if chief:
        sweep_unfinished_saves(run_dir / "checkpoints")
    saved = tf.train.CheckpointManager(checkpoint, str(run_dir / "checkpoints"), max_to_keep=keep)
    scratch = None if chief else tempfile.mkdtemp(prefix="imagine-worker-")
    manager = saved if chief else tf.train.CheckpointManager(checkpoint, scratch, max_to_keep=1)
    if saved.checkpoints:  # every worker resumes from the chief's (shared) run folder
        _resume(checkpoint, saved, step)
    elif chief:
        say_if_same_run_elsewhere(pipeline, run_dir)
    if not saved.checkpoints and config.fine_tune_checkpoint:
        _fine_tune(detector, config, label_map)
    _check_in_step(strategy, step)

    data = _distributed(inputs, pipeline, detector, strategy)
    train_step = make_train_step(
        detector, optimizer, step, config, pipeline.hardware.jit_compile, strategy
    )
    try:
        events = run_dir / "train" if chief else None
        _loop(train_step, iter(data), step, schedule, manager, config, events, strategy)
        _keep_moving_averages(pipeline, detector, optimizer, manager, step)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    cluster = strategy.cluster_resolver is not None
    if chief and (pipeline.hardware.mixed_precision or cluster):
        # Evaluation, like `imagine eval` and `imagine ocr`, runs the float32 model, and
        # the chief evaluates alone: reading the cluster's batch-norm statistics would
        # wait on workers that have finished.
        from imagine_plugins.runners.run_folder import restore

        set_precision("")
        detector = restore(run_dir)[1]
    return detector, label_map


def _trainable(pipeline: Any, label_map: LabelMap) -> tuple[Any, Any, Any, Any]:
    """The detector, its learning-rate schedule, the optimizer and the step counter, in
    the strategy's scope."""
    import tensorflow as tf
    import tf_keras

    config = pipeline.train_config
    detector = build(pipeline.model, pipeline, label_map=label_map)
    chosen = getattr(config.optimizer, config.optimizer.WhichOneof("optimizer") or "adam_optimizer")
    schedule = build(chosen.learning_rate, pipeline)
    optimizer = build(config.optimizer, pipeline)(schedule.keras())
    if pipeline.hardware.mixed_precision == "mixed_float16":  # float16 needs loss scaling
        optimizer = tf_keras.mixed_precision.LossScaleOptimizer(optimizer)
    step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
    return detector, schedule, optimizer, step


def _distributed(inputs: Any, pipeline: Any, detector: Any, strategy: Any) -> Any:
    """The training batches; with several replicas each gets its share of every batch."""
    import tensorflow as tf

    data, _ = inputs.dataset(pipeline, training=True, label_fn=getattr(detector, "label_fn", None))
    if strategy.num_replicas_in_sync == 1:
        return data
    options = tf.data.Options()
    # Every worker reads every file and keeps its share of the batches: works with a
    # single TFRecord, which sharding by file could not split.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(data.with_options(options))


def _keep_moving_averages(
    pipeline: Any, detector: Any, optimizer: Any, manager: Any, step: Any
) -> None:
    """The TF OD API evaluates the averaged weights: they replace the model's, and the
    last checkpoint is rewritten with them, so that `imagine eval`, `imagine ocr` and
    `imagine export` see what the run's metrics measured."""
    if not (getattr(optimizer, "use_ema", False) and pipeline.eval_config.use_moving_averages):
        return
    for variable in detector.trainable_variables:
        try:  # variables no gradient reached (unused backbone layers) have no average
            optimizer.finalize_variable_values([variable])
        except KeyError:
            continue
    manager.save(checkpoint_number=int(step.numpy()))
    err.print("evaluating the moving averages of the weights (eval_config.use_moving_averages)")


def _resume(checkpoint: Any, manager: Any, step: Any) -> None:
    """Restore the newest intact checkpoint: one that a crash or a full disk left
    truncated is named and passed over for the one before it."""
    import tensorflow as tf

    for path in reversed(manager.checkpoints):
        try:
            checkpoint.restore(path).expect_partial()  # slots restore when created
        except (tf.errors.OpError, IndexError, ValueError) as exc:
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            err.print(f"[yellow]warning:[/yellow] checkpoint {path} is damaged ({reason})")
            continue
        err.print(f"resuming from {path} (step {int(step.numpy())})")
        return
    raise ImagineError(
        "every checkpoint of this run is damaged",
        where=str(Path(manager.directory)),
        fix="delete that folder to train from the start",
    )


def save(manager: Any, number: int) -> str:
    """A checkpoint, or one message when the disk is full: the earlier ones are intact and
    the same command resumes from the newest once there is room."""
    import errno

    import tensorflow as tf

    try:
        return manager.save(checkpoint_number=number)
    except (tf.errors.ResourceExhaustedError, OSError) as exc:
        full = isinstance(exc, tf.errors.ResourceExhaustedError) or exc.errno == errno.ENOSPC
        if not full:
            raise
        sweep_unfinished_saves(Path(manager.directory))
        kept = manager.latest_checkpoint
        raise ImagineError(
            f"the disk is full: checkpoint {number} could not be written; "
            + (f"the earlier ones are intact (newest: {kept})" if kept else "none was saved yet"),
            where=str(manager.directory),
            fix="free some space (or move the run folder), then run the same command again "
            "to resume",
        ) from None


def sweep_unfinished_saves(folder: Path) -> list[str]:
    """Remove the ``ckpt-N_temp…`` folders a save leaves when the run is killed while
    writing (a finished save renames its files; nothing reads these). Returns their names."""
    import shutil

    if not folder.is_dir():
        return []
    unfinished = sorted(
        p.name for p in folder.iterdir() if p.is_dir() and re.fullmatch(r"ckpt-\d+_temp.*", p.name)
    )
    for name in unfinished:
        shutil.rmtree(folder / name, ignore_errors=True)
    if unfinished:
        err.print(
            f"removed {len(unfinished)} unfinished checkpoint folder(s) a killed run left in "
            f"{folder}: {', '.join(unfinished)}",
            markup=False,
        )
    return unfinished


def _check_in_step(strategy: Any, step: Any) -> None:
    """Workers that resumed from different steps would wait on each other for ever: the
    run folder was not the same folder on every machine."""
    import tensorflow as tf

    if strategy.num_replicas_in_sync == 1 or strategy.cluster_resolver is None:
        return

    @tf.function
    def every_step():
        return strategy.gather(strategy.run(lambda: tf.reshape(tf.identity(step), [1])), 0)

    steps = every_step().numpy()
    low, high = int(steps.min()), int(steps.max())
    if low != high:
        raise ImagineError(
            f"the workers resumed from different steps ({low} and {high})",
            where="hardware=multi_worker: the run folder",
            fix="put the run folder (hydra.run.dir) on storage every worker sees, at the "
            "same path, so that all resume from the chief's checkpoints",
        )


def make_train_step(
    detector: Any,
    optimizer: Any,
    step: Any,
    config: Any,
    jit_compile: bool = False,
    strategy: Any = None,
) -> Any:
    """One step on every replica of ``strategy``: forward, losses (+ regularization),
    gradients summed over the replicas, clipped, update. ``jit_compile``
    (``hardware.jit_compile``) compiles the forward and backward pass with XLA: worth it
    on GPUs and TPUs, several times slower on a CPU."""
    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    variables = detector.trainable_variables
    clip = config.gradient_clipping_by_norm
    scaling = hasattr(optimizer, "get_scaled_loss")  # a LossScaleOptimizer (mixed_float16)
    with strategy.scope():  # slots made now: a first call creating them is traced twice
        optimizer.build(variables)

    @tf.function(jit_compile=jit_compile or None, autograph=False)
    def forward_backward(batch):
        with tf.GradientTape() as tape:
            total, losses = _losses(detector, batch, config.add_regularization_loss)
            # Summed over the replicas, these are the gradients of the global batch's mean.
            share = total / replicas
            scaled = optimizer.get_scaled_loss(share) if scaling else share
        gradients = tape.gradient(scaled, variables)
        if scaling:
            gradients = optimizer.get_unscaled_gradients(gradients)
        return total, losses, gradients

    def replica_step(batch):
        total, losses, gradients = forward_backward(batch)
        # Backbone layers the feature maps do not use get no gradient: leave them out.
        pairs = [(g, v) for g, v in zip(gradients, variables, strict=True) if g is not None]
        gradients = [g for g, _ in pairs]
        if replicas > 1:  # summed before clipping, so the clip sees the global gradient
            context = tf.distribute.get_replica_context()
            gradients = context.all_reduce(tf.distribute.ReduceOp.SUM, gradients)
        if clip > 0:
            gradients, _ = tf.clip_by_global_norm(gradients, clip)
        optimizer.apply_gradients(
            zip(gradients, [v for _, v in pairs], strict=True), skip_gradients_aggregation=True
        )
        return total, losses

    @tf.function(autograph=False)
    def train_step(batch):
        total, losses = strategy.run(replica_step, args=(batch,))
        step.assign_add(1)

        def mean(value):
            return strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)

        return mean(total), {name: mean(value) for name, value in losses.items()}

    return train_step


def _losses(detector: Any, batch: dict[str, Any], regularization: bool) -> tuple[Any, Any]:
    """The total loss of a forward pass and its terms, in float32 (under mixed precision
    too), with the regularization losses when the config adds them."""
    import tensorflow as tf

    images, shapes = detector.preprocess(batch["image"])
    detector.provide_groundtruth(batch)
    predictions = detector.predict(images, shapes, training=True)
    losses = {
        name: tf.cast(value, tf.float32)
        for name, value in detector.loss(predictions, batch).items()
    }
    total = tf.add_n(list(losses.values()))
    if regularization and detector.regularization_losses():
        terms = [tf.cast(t, tf.float32) for t in detector.regularization_losses()]
        losses["regularization"] = tf.add_n(terms)
        total += losses["regularization"]
    return total, losses


class ClippedBoxes:
    """Counts the glyphs that did not fit a tile's padding (``max_number_of_boxes``) and
    says so once when it first happens and in total at the end: never clipped in silence."""

    def __init__(self, max_boxes: int, strategy: Any = None) -> None:
        self.max_boxes, self.total, self.tiles = max_boxes, 0, 0
        self.strategy = strategy  # a distributed batch holds one count per replica

    def add(self, batch: dict[str, Any], step: int) -> None:
        import tensorflow as tf

        if "num_clipped_boxes" not in batch:
            return
        strategy = self.strategy or tf.distribute.get_strategy()
        local = strategy.experimental_local_results(batch["num_clipped_boxes"])
        counts = np.concatenate([t.numpy() for t in local])
        if not counts.any():
            return
        if not self.total:
            err.print(
                f"[yellow]warning:[/yellow] step {step}: a tile holds {int(counts.max())} "
                f"more glyphs than train_config.max_number_of_boxes ({self.max_boxes}); "
                "they are not trained on as glyphs (the ssd family ignores them, others see "
                "background) — raise max_number_of_boxes, or train on smaller tiles"
            )
        self.total += int(counts.sum())
        self.tiles += int((counts > 0).sum())

    def summary(self) -> None:
        if self.total:
            err.print(
                f"[yellow]warning:[/yellow] {self.total} glyphs on {self.tiles} tiles did not "
                f"fit train_config.max_number_of_boxes ({self.max_boxes})"
            )


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's stop, ``kill``), ended like Ctrl-C; exit code 143."""

    exit_code = 128 + 15


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


@contextmanager
def _saved_when_interrupted(manager: Any, step: Any) -> Iterator[None]:
    """Ctrl-C and SIGTERM keep what was learned: the current step is saved before the
    run stops, and the message says how to go on."""
    import signal
    import threading

    main = threading.current_thread() is threading.main_thread()  # signals go there only
    previous = signal.signal(signal.SIGTERM, _terminate) if main else None
    try:
        yield
    except KeyboardInterrupt as exc:
        current = int(step.numpy())
        saved = manager.latest_checkpoint
        if current and not (saved and saved.endswith(f"-{current}")):
            saved = manager.save(checkpoint_number=current)
        kept = f"checkpoint {saved} kept" if saved else "nothing trained yet"
        err.print(
            f"[yellow]interrupted[/yellow] at step {current}: {kept}; "
            "run the same command again to resume"
        )
        exc.reported = True  # the CLI says nothing more
        raise
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)


@contextmanager
def _cluster_failures(manager: Any) -> Iterator[None]:
    """A worker of a cluster that stops (killed, its machine gone) makes tf.distribute's
    health check abort the others' collectives: one message, not a traceback or a hang."""
    import tensorflow as tf

    try:
        yield
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError) as exc:
        tasks = sorted(set(re.findall(r"/job:\w+/replica:\d+/task:\d+", str(exc))))
        who = ", ".join(tasks) or type(exc).__name__
        kept = manager.latest_checkpoint or "none written yet"
        raise ImagineError(
            f"a worker of the cluster stopped answering ({who})",
            where="hardware=multi_worker (TF_CONFIG)",
            fix="start every worker again with the same command; training resumes from the "
            f"last checkpoint ({kept})",
        ) from None


def _require_finite(value: float, current: int, manager: Any) -> None:
    if not math.isfinite(value):
        kept = manager.latest_checkpoint or "none written yet"
        raise ImagineError(
            f"the loss became {value} at step {current}",
            where="train_config",
            fix=f"lower the learning rate (lr=…) or "
            f"clip gradients; the last good checkpoint is kept: {kept}",
        )


def _summaries(total: float, losses: dict[str, Any], rate: Any, current: int) -> None:
    import tensorflow as tf

    tf.summary.scalar("loss/total", total, step=current)
    for name, loss in losses.items():
        tf.summary.scalar(f"loss/{name}", loss, step=current)
    tf.summary.scalar("learning_rate", rate, step=current)


def _time_left(steps_left: int, done: int, seconds: float) -> str:
    """``  ~12 min left`` at the speed so far, for logs (a terminal shows rich's column)."""
    if steps_left <= 0 or done <= 0:
        return ""
    minutes = steps_left * seconds / done / 60
    return f"  ~{minutes:.0f} min left" if minutes >= 1 else "  <1 min left"


def _loop(
    train_step: Any,
    iterator: Any,
    step: Any,
    schedule: Any,
    manager: Any,
    config: Any,
    events: Path | None,
    strategy: Any,
) -> None:
    """Steps until num_steps with the display, summaries (into ``events``; none where it
    is None), checkpoints and the NaN check."""
    import tensorflow as tf
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    num_steps = config.num_steps or 10**9
    batch_size = config.batch_size
    every = max(1, config.checkpoint_every_n_steps or 1000)
    report = max(1, min(num_steps, 10**6) // 20)  # log lines when stderr is not a terminal
    writer = (
        tf.summary.create_file_writer(str(events))
        if events is not None
        else tf.summary.create_noop_writer()
    )
    start_step = int(step.numpy())
    columns = (
        TextColumn("step {task.completed}/{task.total}"),
        BarColumn(),
        TextColumn("loss {task.fields[loss]:.4f}  {task.fields[speed]:.1f} img/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress, writer.as_default():
        task = progress.add_task(
            "train", total=num_steps, completed=start_step, loss=math.nan, speed=0.0
        )
        started = time.perf_counter()
        clipped = ClippedBoxes(config.max_number_of_boxes, strategy)
        with _saved_when_interrupted(manager, step), _cluster_failures(manager):
            while int(step.numpy()) < num_steps:
                batch = next(iterator)
                total, losses = train_step(batch)
                current, value = int(step.numpy()), float(total.numpy())
                clipped.add(batch, current)
                _require_finite(value, current, manager)
                done = current - start_step
                speed = done * batch_size / max(time.perf_counter() - started, 1e-9)
                progress.update(task, completed=current, loss=value, speed=speed)
                if not err.is_terminal and (current % report == 0 or current == num_steps):
                    left = _time_left(num_steps - current, done, time.perf_counter() - started)
                    err.print(
                        f"step {current}/{num_steps}  loss {value:.4f}  {speed:.1f} img/s{left}"
                    )
                if current % 10 == 0 or current == num_steps:
                    _summaries(value, losses, schedule(current), current)
                if current % every == 0 or current == num_steps:
                    save(manager, current)
        clipped.summary()
