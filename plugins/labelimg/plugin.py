"""Hooks of the LabelImg plugin: Pascal VOC and YOLO readers and writers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from imagine_core import hookimpl
from imagine_core.contracts import DatasetReader, DatasetWriter, Example
from imagine_core.errors import DataError
from imagine_core.labelmap import LabelMap
from imagine_plugins.labelimg.voc import parse_voc, voc_xml
from imagine_plugins.labelimg.yolo import parse_yolo, read_classes, yolo_lines


def _folders(paths: Iterable[str]) -> list[Path]:
    folders = [Path(p).expanduser() for p in paths]
    for folder in folders:
        if not folder.is_dir():
            raise DataError(
                "folder not found",
                where=str(folder),
                fix="point input_path at a folder of annotated images",
            )
    return folders


class LabelImgReader(DatasetReader):
    """Every ``*.xml`` in the configured folders, in sorted order."""

    def __init__(self, folders: Iterable[str]):
        self.folders = list(folders)

    def items(self) -> Iterator[Path]:
        for folder in _folders(self.folders):
            yield from sorted(folder.glob("*.xml"))

    def parse(self, item: Path) -> Example:
        return parse_voc(item)


class YoloReader(DatasetReader):
    """Every ``*.txt`` but ``classes.txt`` in the configured folders."""

    def __init__(self, folders: Iterable[str]):
        self.folders = list(folders)
        self._classes: dict[Path, list[str]] = {}

    def items(self) -> Iterator[Path]:
        for folder in _folders(self.folders):
            self._classes[folder] = read_classes(folder)
            yield from sorted(p for p in folder.glob("*.txt") if p.name != "classes.txt")

    def parse(self, item: Path) -> Example:
        if item.parent not in self._classes:
            self._classes[item.parent] = read_classes(item.parent)
        return parse_yolo(item, self._classes[item.parent])


class LabelImgWriter(DatasetWriter):
    """``OUT/<split>/`` with each image and its Pascal VOC XML."""

    def write(self, examples, out_dir, label_map, *, split="train", shards=1):
        folder = out_dir / split
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for example in examples:
            image = example.save_image(folder)
            xml = folder / (Path(image.name).stem + ".xml")
            xml.write_bytes(voc_xml(example, image.name))
            written += [image, xml]
        return written


class YoloWriter(DatasetWriter):
    """``OUT/<split>/`` with each image, its ``.txt`` and ``classes.txt`` (label map order)."""

    def write(self, examples, out_dir, label_map: LabelMap, *, split="train", shards=1):
        folder = out_dir / split
        folder.mkdir(parents=True, exist_ok=True)
        classes = folder / "classes.txt"
        classes.write_text("".join(f"{name}\n" for name in label_map.names), encoding="utf-8")
        written = [classes]
        for example in examples:
            image = example.save_image(folder)
            labels = folder / (Path(image.name).stem + ".txt")
            labels.write_text(yolo_lines(example, label_map), encoding="utf-8")
            written += [image, labels]
        return written


def _reader(cls: type) -> Any:
    return lambda config, slot=None, pipeline=None: cls(list(config.input_path))


@hookimpl
def imagine_register(registry):
    from imagine_core.schema import proto_module

    messages = proto_module("input_reader")
    registry.add(
        "dataset_reader",
        "labelimg_input_reader",
        factory=_reader(LabelImgReader),
        config_type=messages.LabelImgInputReader,
        description="LabelImg Pascal VOC: images with an XML file beside each",
    )
    registry.add(
        "dataset_reader",
        "yolo_input_reader",
        factory=_reader(YoloReader),
        config_type=messages.YoloInputReader,
        description="LabelImg YOLO: classes.txt and a .txt beside each image",
    )
    registry.add(
        "dataset_writer",
        "labelimg",
        factory=lambda **_: LabelImgWriter(),
        description="LabelImg Pascal VOC XML beside each image",
    )
    registry.add(
        "dataset_writer",
        "yolo",
        factory=lambda **_: YoloWriter(),
        description="LabelImg YOLO text files and classes.txt",
    )


@hookimpl
def imagine_reads():
    return [
        f"{section}.{reader}.input_path"
        for section in ("train_input_reader", "eval_input_reader")
        for reader in ("labelimg_input_reader", "yolo_input_reader")
    ]
