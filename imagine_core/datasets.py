"""Dataset readers and writers that commands choose by format name, or by the source a
reader recognises: ``imagine data convert SRC --to FMT``, ``imagine eval --gt SRC``.

A reader's format name is its registry name without ``_input_reader`` (``labelimg``,
``coco``; ``tfrecord`` for ``tf_record_input_reader``). A reader recognises sources through
the ``claims`` it registers with; the core knows no format itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagine_core.build import make
from imagine_core.errors import DataError
from imagine_core.plugins import get_plugins
from imagine_core.registry import ComponentRecord
from imagine_core.schema import proto_module


def reader_formats() -> dict[str, ComponentRecord]:
    """Format names of the readers that read files (their config has ``input_path``)."""
    formats = {}
    for record in get_plugins().registry:
        fields = record.config_type.DESCRIPTOR.fields_by_name if record.config_type else {}
        if record.kind == "dataset_reader" and "input_path" in fields:
            formats[record.name.removesuffix("_input_reader").replace("_", "")] = record
    return formats


def reader_for(source: str, fmt: str | None = None, label_map_path: str = "") -> Any:
    """The reader of ``source`` (a folder, file or pattern), in format ``fmt`` or in the
    one format whose reader claims it; ``label_map_path`` names classes given by id."""
    formats = reader_formats()
    if fmt is None:
        fmt = format_of(source, formats)
    if fmt not in formats:
        raise DataError(f"unknown format {fmt!r}", fix=f"use one of {', '.join(sorted(formats))}")
    record = formats[fmt]
    slot = proto_module("input_reader").InputReader(label_map_path=label_map_path)
    return make(record, record.config_type(input_path=[source]), slot=slot)


def format_of(source: str, formats: dict[str, ComponentRecord] | None = None) -> str:
    """The format whose reader claims ``source``; an error where none or several do."""
    formats = reader_formats() if formats is None else formats
    claims = [name for name, record in formats.items() if record.claims and record.claims(source)]
    if len(claims) == 1:
        return claims[0]
    names = "|".join(sorted(formats))
    if claims:
        raise DataError(
            f"this could be read as {' or '.join(sorted(claims))}",
            where=source,
            fix=f"pass --format {names}",
        )
    if not Path(source).expanduser().exists() and not any(c in source for c in "*?@"):
        raise DataError("no such file or folder", where=source)
    raise DataError(
        "no loaded dataset reader recognises this source",
        where=source,
        fix=f"pass --format {names}, or install the plugin that reads it",
    )


def writer_for(fmt: str) -> Any:
    """The dataset writer named ``fmt`` (``imagine data convert --to FMT``)."""
    registry = get_plugins().registry
    return make(registry.get("dataset_writer", fmt, where="--to"))


def writer_names() -> list[str]:
    return get_plugins().registry.names("dataset_writer")
