"""Hooks of the TFRecord plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from imagine_core.api import (
    DataError,
    DatasetReader,
    DatasetWriter,
    Example,
    InputPipeline,
    LabelMap,
    hookimpl,
)
from imagine_plugins.tfrecord.augment import STEPS
from imagine_plugins.tfrecord.paths import expand, shard_name
from imagine_plugins.tfrecord.records import from_tf_example, to_tf_example
from imagine_plugins.tfrecord.resize import RESIZERS


class TFRecordReader(DatasetReader):
    """Records of one or more files, globs or folders. Class ids name their classes through
    ``label_map_path``, else the ``label_map.pbtxt`` beside the records."""

    def __init__(self, patterns: list[str], label_map_path: str = ""):
        self.patterns = patterns
        self.label_map_path = label_map_path
        self._names: dict[int, str] | None = None

    def names(self) -> dict[int, str]:
        if self._names is None:
            path = self.label_map_path
            if not path:
                beside = {f.parent / "label_map.pbtxt" for f in expand(self.patterns)}
                path = next((str(p) for p in sorted(beside) if p.is_file()), "")
            ids = LabelMap.read(path).ids if path else {}
            self._names = {i: name for name, i in ids.items()}
        return self._names

    def items(self) -> Iterator[tuple[str, bytes]]:
        import tensorflow as tf

        for path in expand(self.patterns):
            index = 0
            try:
                for raw in tf.data.TFRecordDataset(str(path)).as_numpy_iterator():
                    yield (f"{path} (record {index})", raw)
                    index += 1
            except tf.errors.OpError as exc:  # the records before it are kept
                yield (str(path), _Corrupt(f"corrupt TFRecord after record {index}: {exc.message}"))

    def parse(self, item: tuple[str, bytes]) -> Example:
        where, raw = item
        if isinstance(raw, _Corrupt):
            raise DataError(raw.what, where=where, fix="re-write the file, or leave it out")
        return from_tf_example(raw, where, self.names())


class _Corrupt:
    """Where a TFRecord file stops being readable: an item that fails, so a policy
    names it (and strict stops at it) while the records before it still count."""

    def __init__(self, what: str):
        self.what = what


class TFRecordWriter(DatasetWriter):
    """``OUT/<split>.record-00000-of-0000N``: examples dealt round-robin over N shards."""

    def write(self, examples, out_dir, label_map, *, split="train", shards=1):
        import tensorflow as tf

        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / shard_name(f"{split}.record", i, shards) for i in range(shards)]
        writers = [tf.io.TFRecordWriter(str(p)) for p in paths]
        try:
            for index, example in enumerate(examples):
                writers[index % shards].write(to_tf_example(example, label_map))
        finally:
            for writer in writers:
                writer.close()
        return paths


def _records(source: str) -> bool:
    """Record files, a sharded name (``x.record@4``), a pattern, or a folder of them
    (every split in it; name the files to read one)."""
    path = Path(source).expanduser()
    if path.is_dir():
        return any(path.glob("*.record*")) or any(path.glob("*.tfrecord*"))
    return any(mark in path.name for mark in (".record", ".tfrecord", "@")) or "*" in source


class TFRecordInput(InputPipeline):
    """The input pipeline of ``imagine_plugins.tfrecord.pipeline``, imported when used
    (it needs TensorFlow)."""

    def records(self, reader_config):
        from imagine_plugins.tfrecord.pipeline import record_files

        return record_files(reader_config)

    def dataset(self, pipeline, *, training, batch_size=None, eval_index=0, label_fn=None):
        from imagine_plugins.tfrecord.pipeline import build_input

        return build_input(
            pipeline,
            training=training,
            batch_size=batch_size,
            eval_index=eval_index,
            label_fn=label_fn,
        )


@hookimpl
def imagine_config_dirs():
    """The ``dataset=tfrecord`` option of the config."""
    return [str(Path(__file__).resolve().parent / "conf")]


@hookimpl
def imagine_register(registry):
    from imagine_core.api import proto_module

    registry.add(
        "dataset_reader",
        "tf_record_input_reader",
        factory=lambda config, slot=None, pipeline=None: TFRecordReader(
            list(config.input_path), getattr(slot, "label_map_path", "")
        ),
        config_type=proto_module("input_reader").TFRecordInputReader,
        claims=_records,
        description="TFRecords of tf.train.Example with the TF OD API's keys",
    )
    registry.add(
        "dataset_writer",
        "tfrecord",
        factory=lambda **_: TFRecordWriter(),
        description="sharded TFRecords with the TF OD API's keys",
    )
    registry.add(
        "input_pipeline",
        "tfrecord",
        factory=lambda **_: TFRecordInput(),
        description="input readers converted once into cached TFRecords, read with tf.data",
    )
    steps = proto_module("preprocessor")
    for name, cls in STEPS.items():
        message = steps.PreprocessingStep.DESCRIPTOR.fields_by_name[name].message_type
        registry.add(
            "augmentation",
            name,
            factory=_step(cls),
            config_type=_message_class(message),
            description=(cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
        )
    resizers = proto_module("image_resizer")
    for name, cls in RESIZERS.items():
        message = resizers.ImageResizer.DESCRIPTOR.fields_by_name[name].message_type
        registry.add("image_resizer", name, factory=_step(cls), config_type=_message_class(message))


def _message_class(descriptor):
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(descriptor)


def _step(cls):
    return lambda config, slot=None, pipeline=None: cls(config)


@hookimpl
def imagine_reads():
    """What the input pipeline (pipeline.py) honours."""
    readers = ("train_input_reader", "eval_input_reader")
    fields = (
        "tf_record_input_reader.input_path",
        "label_map_path",
        "shuffle",
        "num_readers",
        "shuffle_buffer_size",
        "filenames_shuffle_buffer_size",
        "num_epochs",
        "sample_1_of_n_examples",
        "num_prefetch_batches",
        "max_number_of_boxes",
        "decoded_cache_mb",
    )
    steps = [f"train_config.data_augmentation_options.{name}.*" for name in STEPS]
    steps += [f"train_config.data_augmentation_options.{name}" for name in STEPS]
    resizers = [f"model.*.image_resizer.{name}*" for name in RESIZERS]
    return (
        [f"{r}.{f}" for r in readers for f in fields]
        + steps
        + resizers
        + [
            "train_config.max_number_of_boxes",
            "train_config.batch_size",
            "eval_config.batch_size",
        ]
    )


__all__ = ["TFRecordReader", "TFRecordWriter"]
