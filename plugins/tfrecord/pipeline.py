"""The tf.data input pipeline a model trains and evaluates on, built from the config.

TFRecords are read as the input reader says (globs and sharded names, file
shuffling, ``num_readers`` interleaved, example shuffling, ``sample_1_of_n``);
any other dataset reader's examples are first written to TFRecords in imagine's
cache (once per content). Examples are decoded, augmented (training only),
resized, and padded to ``max_number_of_boxes`` so that batches have static
shapes. Classes come out 0-based; padding rows have class -1. Ignore regions (label
``DontCare``) come out as boxes of their own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

from imagine_core.api import (
    IGNORE,
    ConfigError,
    LabelMap,
    build,
    cache_dir,
    chosen_component,
    get_plugins,
    instantiate,
    publish_folder,
)
from imagine_plugins.tfrecord.augment import MIRRORING, RandomTileCrop
from imagine_plugins.tfrecord.paths import expand

FEATURES = {
    "image/encoded": ("string", []),
    "image/object/bbox/ymin": ("float32", None),
    "image/object/bbox/xmin": ("float32", None),
    "image/object/bbox/ymax": ("float32", None),
    "image/object/bbox/xmax": ("float32", None),
    "image/object/class/text": ("string", None),
    "image/object/class/label": ("int64", None),
}


def _check_labels(examples: list[Any], label_map: LabelMap, path: str) -> None:
    """Every glyph's label is in the label map: a corrected page often brings a character
    the first marks did not have."""
    unknown: dict[str, str] = {}
    for example in examples:
        for box in example.boxes:
            if not box.ignore and box.label not in label_map.ids:
                unknown.setdefault(box.label, example.name)
    if unknown:
        first = ", ".join(f"{label!r} ({where})" for label, where in list(unknown.items())[:10])
        next_id = max(label_map.ids.values(), default=0) + 1
        label = next(iter(unknown))
        raise ConfigError(
            f"{len(unknown)} label(s) not in the label map: {first}",
            where=path or "label_map_path",
            fix=f"add each to the label map (item {{ id: {next_id} name: {label!r} }} …), "
            "or correct the label on the page",
        )


def record_files(reader_config: Any) -> tuple[list[Path], LabelMap | None]:
    """TFRecord files for an InputReader; other readers are converted into the cache once."""
    chosen = reader_config.WhichOneof("input_reader")
    label_map = (
        LabelMap.read(reader_config.label_map_path) if reader_config.label_map_path else None
    )
    if chosen == "tf_record_input_reader":
        return expand(reader_config.tf_record_input_reader.input_path), label_map
    if chosen is None:
        raise ConfigError(
            "the input reader chooses no dataset reader",
            fix="set tf_record_input_reader, labelimg_input_reader or plugin",
        )
    from imagine_core.api import make

    registry = get_plugins().registry
    reader = build(reader_config, None)
    name = chosen_component(reader_config)[2]
    if label_map is None and hasattr(reader, "label_map"):
        label_map = reader.label_map()
    key = hashlib.sha256(reader_config.SerializeToString(deterministic=True))
    items = list(reader.items())
    for item in items:
        key.update(str(item).encode()[:512])
        if isinstance(item, Path) and item.exists():
            key.update(str(item.stat().st_mtime_ns).encode())
    target = cache_dir() / "records" / key.hexdigest()[:20]
    if not (target / "label_map.pbtxt").is_file():  # written last: the folder is complete
        checker = make(registry.get("example_checker", "strict", where=f"reading {name}"))
        result = checker.run(reader, progress=f"reading {name}")
        if label_map is not None:
            _check_labels(result.examples, label_map, reader_config.label_map_path)
        labels = (b.label for e in result.examples for b in e.boxes if not b.ignore)
        label_map = label_map or LabelMap.from_names(labels)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        writer = make(registry.get("dataset_writer", "tfrecord", where=f"reading {name}"))
        writer.write(result.examples, tmp, label_map, split="data")
        label_map.write(tmp / "label_map.pbtxt")
        publish_folder(tmp, target, replace=False)
    label_map = label_map or LabelMap.read(target / "label_map.pbtxt")
    return sorted(target.glob("data.record-*")), label_map


def fits_in_memory(files: list[Path], budget_mb: int) -> bool:
    """Whether the decoded images of these records take at most ``budget_mb`` MiB
    (encoded sizes rule most datasets out at once; the rest are counted by their
    height and width features, without decoding)."""
    import tensorflow as tf

    budget = budget_mb * 2**20
    if not budget or sum(f.stat().st_size for f in files) > budget:
        return False
    keys = ("image/height", "image/width")
    sizes = {k: tf.io.FixedLenFeature([], tf.int64, default_value=-1) for k in keys}
    total = 0
    for raw in tf.data.TFRecordDataset([str(f) for f in files]):
        parsed = tf.io.parse_single_example(raw, sizes)
        height, width = int(parsed["image/height"]), int(parsed["image/width"])
        total += height * width * 3
        if height < 0 or width < 0 or total > budget:
            return False
    return True


def build_input(
    pipeline: Any,
    *,
    training: bool,
    batch_size: int | None = None,
    eval_index: int = 0,
    label_fn: Any = None,
) -> Any:
    """A batched tf.data.Dataset of dicts: image, groundtruth_boxes, groundtruth_classes,
    num_groundtruth_boxes, true_image_shape; and the label map."""
    import tensorflow as tf

    reader = pipeline.train_input_reader if training else pipeline.eval_input_reader[eval_index]
    files, label_map = record_files(reader)
    if label_map is None:
        raise ConfigError(
            "no label map for this input",
            where="label_map_path",
            fix="set label_map_path (imagine data convert writes one)",
        )
    resizer = _resizer(pipeline)
    static = resizer.static_shape()
    steps = _augmentations(pipeline, static) if training else []
    max_boxes = pipeline.train_config.max_number_of_boxes or reader.max_number_of_boxes or 100
    batch = (
        batch_size
        or (pipeline.train_config.batch_size if training else pipeline.eval_config.batch_size)
        or 1
    )
    data = _examples(files, reader, training, _decoder(label_map))
    # Traced without AutoGraph (fast), like the train step: see docs/plugins.md.
    plain = tf.autograph.experimental.do_not_convert
    data = data.map(
        plain(_preparer(steps, resizer, max_boxes)), num_parallel_calls=tf.data.AUTOTUNE
    )
    if label_fn is not None:  # the model's own targets (anchor assignment), per example
        data = data.map(plain(label_fn), num_parallel_calls=tf.data.AUTOTUNE)
    if static is None:
        data = data.padded_batch(batch, drop_remainder=training)
    else:
        data = data.batch(batch, drop_remainder=training)
    prefetch = reader.num_prefetch_batches
    return data.prefetch(tf.data.AUTOTUNE if prefetch < 0 else max(prefetch, 1)), label_map


def _resizer(pipeline: Any) -> Any:
    model = getattr(pipeline.model, pipeline.model.WhichOneof("model") or "ssd")
    name = model.image_resizer.WhichOneof("image_resizer_oneof") or "identity_resizer"
    record = get_plugins().registry.get("image_resizer", name, where="image_resizer")
    return instantiate(record, model.image_resizer, pipeline)


def _augmentations(pipeline: Any, static: Any) -> list[Any]:
    """The training augmentations, built; a tile without a size is the model's input."""
    steps = []
    for i, option in enumerate(pipeline.train_config.data_augmentation_options):
        name = option.WhichOneof("preprocessing_step")
        if name in MIRRORING:
            warnings.warn(
                f"train_config.data_augmentation_options[{i}].{name}: a mirrored "
                "glyph is another character",
                stacklevel=3,
            )
        step = build(option, pipeline)
        if isinstance(step, RandomTileCrop) and not step.config.height and static:
            step.config.height, step.config.width = static  # the step's own copy
        steps.append(step)
    return steps


def _examples(files: list[Path], reader: Any, training: bool, decode: Any) -> Any:
    """Decoded (image, boxes, labels) of the record files, shuffled and repeated for
    training; pages that fit in ``decoded_cache_mb`` are decoded once and kept."""
    import tensorflow as tf

    names = tf.data.Dataset.from_tensor_slices([str(f) for f in files])
    if training and reader.shuffle:
        names = names.shuffle(max(len(files), reader.filenames_shuffle_buffer_size), seed=None)
    cycle = max(1, min(reader.num_readers or 1, len(files)))
    data = names.interleave(
        tf.data.TFRecordDataset,
        cycle_length=cycle,
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=not training,
    )
    if reader.sample_1_of_n_examples > 1:
        data = data.shard(reader.sample_1_of_n_examples, 0)
    cached = training and fits_in_memory(files, reader.decoded_cache_mb)
    if cached:  # decode each page once; every later tile is cut from memory
        data = data.map(decode, num_parallel_calls=tf.data.AUTOTUNE).cache()
    if training:
        if reader.shuffle:
            data = data.shuffle(reader.shuffle_buffer_size or 256)
        data = data.repeat(reader.num_epochs or None)
    if not cached:
        data = data.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    return data


def _decoder(label_map: LabelMap) -> Any:
    """A record as (image uint8, boxes, labels): by class name when the record has names
    (robust to renumbered label maps), else by id; an ignore region is label 0."""
    import tensorflow as tf

    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(label_map.names), tf.constant(list(label_map.ids.values()), tf.int64)
        ),
        default_value=-1,
    )
    spec = {
        k: (
            tf.io.FixedLenFeature([], tf.string)
            if shape == []
            else tf.io.VarLenFeature(getattr(tf, kind))
        )
        for k, (kind, shape) in FEATURES.items()
    }

    def decode(raw):
        parsed = tf.io.parse_single_example(raw, spec)
        image = tf.io.decode_image(parsed["image/encoded"], channels=3, expand_animations=False)
        dense = {
            k: tf.sparse.to_dense(v) for k, v in parsed.items() if isinstance(v, tf.SparseTensor)
        }
        boxes = tf.stack(
            [dense[f"image/object/bbox/{k}"] for k in ("ymin", "xmin", "ymax", "xmax")], 1
        )
        texts, ids = dense["image/object/class/text"], dense["image/object/class/label"]
        labels = tf.cond(
            tf.size(texts) > 0,
            lambda: tf.where(
                tf.equal(texts, IGNORE), tf.constant(0, tf.int64), table.lookup(texts)
            ),
            lambda: ids,
        )
        check = tf.debugging.assert_non_negative(
            labels,
            message="a record's class is not in the label map (imagine data check --label-map)",
        )
        with tf.control_dependencies([check]):
            return tf.identity(image), boxes, labels

    return decode


def _preparer(steps: list[Any], resizer: Any, max_boxes: int) -> Any:
    """Augment and resize an example, then pad its boxes to ``max_boxes``."""
    import tensorflow as tf

    def prepare(image, boxes, labels):
        floats = False
        for step in steps:  # crops first on uint8: converting a whole page costs more
            if not floats and not getattr(step, "any_dtype", False):
                image, floats = tf.cast(image, tf.float32), True
            image, boxes, labels = step(image, boxes, labels)
        if not floats:
            image = tf.cast(image, tf.float32)
        image, true_shape = resizer(image)
        return {
            **_padded_boxes(boxes, labels, max_boxes),
            "image": image,
            "true_image_shape": tf.cast(true_shape, tf.int32),
        }

    return prepare


def _padded_boxes(boxes: Any, labels: Any, max_boxes: int) -> dict[str, Any]:
    """Glyph and ignore boxes padded to ``max_boxes``. Glyphs beyond the padding are not
    trained on; they become ignore regions (not background), and the training loop
    reports how many there were."""
    import tensorflow as tf

    glyph = labels > 0
    ignored = tf.boolean_mask(boxes, tf.logical_not(glyph))
    boxes, labels = tf.boolean_mask(boxes, glyph), tf.boolean_mask(labels, glyph)
    clipped = tf.maximum(tf.shape(boxes)[0] - max_boxes, 0)
    ignored = tf.concat([ignored, boxes[max_boxes:]], 0)
    count = tf.minimum(tf.shape(boxes)[0], max_boxes)
    boxes = tf.pad(boxes[:max_boxes], [[0, max_boxes - count], [0, 0]])
    classes = tf.pad(
        tf.cast(labels[:max_boxes], tf.int32) - 1, [[0, max_boxes - count]], constant_values=-1
    )
    ignore_count = tf.minimum(tf.shape(ignored)[0], max_boxes)
    return {
        "groundtruth_boxes": boxes,
        "groundtruth_classes": classes,
        "num_groundtruth_boxes": count,
        # Ignore regions (and glyphs a crop cut too much to count): neither glyph nor
        # background in the loss of the models that read them (the ssd family).
        "groundtruth_ignore_boxes": tf.pad(
            ignored[:max_boxes], [[0, max_boxes - ignore_count], [0, 0]]
        ),
        "num_groundtruth_ignore_boxes": ignore_count,
        "num_clipped_boxes": clipped + tf.maximum(tf.shape(ignored)[0] - max_boxes, 0),
    }
