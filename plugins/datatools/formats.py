"""Which reader reads SRC and which writer writes --to: looked up in the registry."""

from __future__ import annotations

from pathlib import Path

from imagine_core.contracts import DatasetReader, DatasetWriter
from imagine_core.errors import DataError
from imagine_core.plugins import get_plugins

# Format names on the command line -> registry names of the readers.
READERS = {
    "labelimg": "labelimg_input_reader",
    "yolo": "yolo_input_reader",
    "coco": "coco_input_reader",
    "tfrecord": "tf_record_input_reader",
}


def detect(source: str) -> str:
    """Guess the format of ``source`` (a folder, a JSON file, TFRecord files or a pattern)."""
    path = Path(source).expanduser()
    if path.is_dir():
        suffixes = {p.suffix.lower() for p in path.iterdir()}
        if (path / "classes.txt").exists():  # a folder or FIFO there is refused by the reader
            return "yolo"
        if ".xml" in suffixes:
            return "labelimg"
        if any(path.glob("*.record*")) or any(path.glob("*.tfrecord*")):
            return "tfrecord"  # every split in it; name the files to read one
        raise DataError(
            "no LabelImg XML, YOLO classes.txt, COCO JSON or TFRecord found",
            where=source,
            fix="pass --format labelimg|yolo|coco|tfrecord",
        )
    if path.suffix.lower() == ".json":
        return "coco"
    if ".record" in path.name or ".tfrecord" in path.name or "@" in path.name or "*" in source:
        return "tfrecord"
    if not path.exists():
        raise DataError("no such file or folder", where=source)
    raise DataError(
        "cannot tell the format of this file",
        where=source,
        fix="pass --format labelimg|yolo|coco|tfrecord",
    )


def reader_for(source: str, fmt: str | None = None, label_map_path: str = "") -> DatasetReader:
    """The reader of ``source``; ``label_map_path`` names classes a source gives by id."""
    from imagine_core.schema import proto_module

    fmt = fmt or detect(source)
    if fmt not in READERS:
        raise DataError(f"unknown format {fmt!r}", fix=f"use one of {', '.join(READERS)}")
    registry = get_plugins().registry
    record = registry.get("dataset_reader", READERS[fmt], where="--format")
    assert record.config_type is not None
    config = record.config_type(input_path=[source])
    slot = proto_module("input_reader").InputReader(label_map_path=label_map_path or "")
    return record.factory(config=config, slot=slot, pipeline=None)


def writer_for(fmt: str) -> DatasetWriter:
    record = get_plugins().registry.get("dataset_writer", fmt, where="--to")
    return record.factory(config=None, slot=None, pipeline=None)


def writer_names() -> list[str]:
    return get_plugins().registry.names("dataset_writer")
