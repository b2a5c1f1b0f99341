"""Hooks of the LabelImg plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imagine_plugins.labelimg.voc import parse_voc

from imagine_core import hookimpl
from imagine_core.contracts import DatasetReader, Example
from imagine_core.errors import ImagineError


class LabelImgReader(DatasetReader):
    """Every ``*.xml`` in the configured folders, in sorted order."""

    def __init__(self, folders: list[str]):
        self.folders = [Path(f).expanduser() for f in folders]

    def files(self) -> list[Path]:
        found = []
        for folder in self.folders:
            if not folder.is_dir():
                raise ImagineError(
                    "folder not found",
                    where=str(folder),
                    fix="point input_path at a folder of LabelImg XML files",
                )
            found.extend(sorted(folder.glob("*.xml")))
        return found

    def read(self) -> Iterator[Example]:
        for path in self.files():
            yield parse_voc(path)


def build_reader(config: Any, slot: Any, pipeline: Any) -> LabelImgReader:
    return LabelImgReader(list(config.input_path))


@hookimpl
def imagine_register(registry):
    from imagine_core.schema import proto_module

    registry.add(
        "dataset_reader",
        "labelimg_input_reader",
        factory=build_reader,
        config_type=proto_module("input_reader").LabelImgInputReader,
        description="a folder of page images with LabelImg Pascal VOC XML beside them",
    )


@hookimpl
def imagine_reads():
    return [
        "train_input_reader.labelimg_input_reader.input_path",
        "eval_input_reader.labelimg_input_reader.input_path",
    ]
