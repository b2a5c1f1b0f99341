"""Hooks of the LabelImg plugin: Pascal VOC and YOLO readers and writers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from imagine_core.api import (
    DataError,
    DatasetReader,
    DatasetWriter,
    Example,
    LabelMap,
    err,
    hookimpl,
)
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


HOLDOUT = 0.1  # of the training pages, when a dataset has no eval folder


def held_out(files: list[Path]) -> set[Path]:
    """A tenth of ``files`` (at least one), spread evenly over them: the same every time."""
    if len(files) < 2:
        return set()
    count = max(1, round(len(files) * HOLDOUT))
    return {files[int((i + 0.5) * len(files) / count)] for i in range(count)}


def split_folders(folder: Path, suffix: str, skip: tuple[str, ...] = ()) -> list[Path]:
    """The folder, or, where it holds no ``suffix`` file of its own, its sub-folders that
    do: a dataset `imagine data convert` wrote (OUT/train, OUT/val) reads back as it is."""
    if listed(folder, suffix, skip):
        return [folder]
    subs = sorted(p for p in folder.iterdir() if p.is_dir() and listed(p, suffix, skip))
    return subs or [folder]


def listed(folder: Path, suffix: str, skip: tuple[str, ...] = ()) -> list[Path]:
    """The files of ``folder`` ending in ``suffix`` whatever its case (``PAGE.XML``), sorted."""
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() == suffix and p.name.lower() not in skip
    )


def unread_below(folder: Path, suffix: str) -> list[tuple[str, str]]:
    """(where, what) for each sub-folder of ``folder`` holding ``suffix`` files, which a
    reader of ``folder`` does not read."""
    counts: dict[Path, int] = {}
    for path in folder.rglob("*"):
        if path.parent != folder and path.suffix.lower() == suffix and path.is_file():
            counts[path.parent] = counts.get(path.parent, 0) + 1
    return [
        (
            str(sub),
            f"{n} {suffix} file(s) in this sub-folder are not read (only {folder} itself is); "
            "name the sub-folder to read it",
        )
        for sub, n in sorted(counts.items())
    ]


def _split_files(
    folders: list[str], suffix: str, skip: tuple[str, ...] = (), hold_out: bool = False
) -> list[Path]:
    """The annotation files of ``folders``. With ``hold_out``, the ``train``/``eval`` layout
    and no ``eval`` folder, a reader of ``eval`` reads a tenth of ``train`` and a reader of
    ``train`` the rest — so that `imagine run dataset=labelimg data_dir=DIR` needs only
    DIR/train."""
    files: list[Path] = []
    for given in folders:
        folder = Path(given).expanduser()
        folder = folder if folder.name else folder.resolve()  # `.`: the folder's own name
        twin = folder.parent / ("train" if folder.name == "eval" else "eval")
        if not hold_out:
            files += _split_listed(_folders([given])[0], suffix, skip)
        elif folder.name == "train" and folder.is_dir() and not twin.is_dir():
            found = listed(folder, suffix, skip)
            out = held_out(found)
            if out:
                err.print(
                    f"{twin} does not exist: {len(out)} of the {len(found)} pages in {folder} "
                    "are held out for evaluation (the same ones every time)",
                    markup=False,
                )
            files += [p for p in found if p not in out]
        elif folder.name == "eval" and not folder.is_dir() and twin.is_dir():
            found = listed(twin, suffix, skip)
            out = held_out(found)
            if not out:
                raise DataError(
                    f"no eval folder and only {len(found)} page(s) in {twin} to hold out",
                    where=str(folder),
                    fix=f"add pages to {folder}, or compose pages with `imagine data synth`, "
                    "which writes an eval folder",
                )
            files += sorted(out)
        else:
            files += _split_listed(_folders([given])[0], suffix, skip)
    return files


def _split_listed(folder: Path, suffix: str, skip: tuple[str, ...]) -> list[Path]:
    return [f for sub in split_folders(folder, suffix, skip) for f in listed(sub, suffix, skip)]


class _FolderReader(DatasetReader):
    """Annotation files ending in ``suffix`` in the configured folders, sorted."""

    suffix = ""
    skip: tuple[str, ...] = ()

    def __init__(self, folders: Iterable[str], hold_out: bool = False):
        self.folders = list(folders)
        self.hold_out = hold_out

    def items(self) -> Iterator[Path]:
        yield from _split_files(self.folders, self.suffix, skip=self.skip, hold_out=self.hold_out)

    def notes(self) -> list[tuple[str, str]]:
        found = []
        for given in self.folders:
            folder = Path(given).expanduser()
            if folder.is_dir():
                for sub in split_folders(folder, self.suffix, self.skip):
                    found += unread_below(sub, self.suffix)
        return found


class LabelImgReader(_FolderReader):
    """Every ``*.xml`` in the configured folders, in sorted order."""

    suffix = ".xml"

    def parse(self, item: Path) -> Example:
        return parse_voc(item)


class YoloReader(_FolderReader):
    """Every ``*.txt`` but ``classes.txt`` in the configured folders."""

    suffix = ".txt"
    skip = ("classes.txt",)

    def __init__(self, folders: Iterable[str], hold_out: bool = False):
        super().__init__(folders, hold_out)
        self._classes: dict[Path, list[str]] = {}

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
            xml.write_bytes(voc_xml(example, image))
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
    return lambda config, slot=None, pipeline=None: cls(
        list(config.input_path), hold_out=config.hold_out_without_eval
    )


def _voc_here(path: Path) -> bool:
    return path.is_dir() and not (path / "classes.txt").exists() and any(path.glob("*.xml"))


def _yolo_here(path: Path) -> bool:
    return path.is_dir() and (path / "classes.txt").exists()  # a folder or FIFO there is
    # refused by the reader


def _of_splits(path: Path, here) -> bool:
    """A folder with no annotations of its own whose sub-folders (train/, val/ …: what
    `imagine data convert` writes) are each a dataset of the format."""
    if not path.is_dir() or any(path.glob("*.xml")) or (path / "classes.txt").exists():
        return False
    return any(here(sub) for sub in path.iterdir())


def _voc_folder(source: str) -> bool:
    path = Path(source).expanduser()
    return _voc_here(path) or _of_splits(path, _voc_here)


def _yolo_folder(source: str) -> bool:
    path = Path(source).expanduser()
    return _yolo_here(path) or _of_splits(path, _yolo_here)


@hookimpl
def imagine_config_dirs():
    """The ``dataset=labelimg`` option of the config."""
    return [str(Path(__file__).resolve().parent / "conf")]


@hookimpl
def imagine_register(registry):
    from imagine_core.api import proto_module

    messages = proto_module("input_reader")
    registry.add(
        "dataset_reader",
        "labelimg_input_reader",
        factory=_reader(LabelImgReader),
        config_type=messages.LabelImgInputReader,
        claims=_voc_folder,
        description="LabelImg Pascal VOC: images with an XML file beside each",
    )
    registry.add(
        "dataset_reader",
        "yolo_input_reader",
        factory=_reader(YoloReader),
        config_type=messages.YoloInputReader,
        claims=_yolo_folder,
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
        f"{section}.{reader}.{field}"
        for section in ("train_input_reader", "eval_input_reader")
        for reader in ("labelimg_input_reader", "yolo_input_reader")
        for field in ("input_path", "hold_out_without_eval")
    ]
