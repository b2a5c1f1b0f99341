"""Marks as CSV, in and out: imagine's example plugin for the data and OCR sides.

A folder of page images with one ``marks.csv`` (``image,label,xmin,ymin,xmax,ymax``, pixels)
is read by ``imagine data convert|check`` (the reader claims such folders, so no
``--format`` is needed) and written by ``imagine data convert --to csv``; ``imagine ocr
--format csv`` writes what it read in the same columns, with the score.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from imagine_core.api import (
    Box,
    DataError,
    DatasetReader,
    DatasetWriter,
    Example,
    LabelMap,
    Page,
    Writer,
    hookimpl,
    load_proto,
)

messages = load_proto("imagine_plugin_csvmarks", "csvmarks.proto")
MARKS = "marks.csv"
COLUMNS = ["image", "label", "xmin", "ymin", "xmax", "ymax"]


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (rows.fieldnames or [])]
        if missing:
            raise DataError(f"no column {', '.join(missing)}", where=f"{path}:1")
        for row in rows:
            yield rows.line_num, row


class CsvMarksReader(DatasetReader):
    def __init__(self, folders: Iterable[str]):
        self.files = [Path(f).expanduser() / MARKS for f in folders]

    def items(self) -> Iterator[tuple[Path, str]]:
        for path in self.files:
            if not path.is_file():
                raise DataError(f"no {MARKS} here", where=str(path.parent))
            yield from sorted({(path, row["image"]) for _, row in _rows(path)})

    def parse(self, item: tuple[Path, str]) -> Example:
        from PIL import Image

        path, name = item
        boxes = []
        for line, row in _rows(path):
            if row["image"] != name:
                continue
            try:
                corners = [float(row[c]) for c in COLUMNS[2:]]
            except ValueError:
                raise DataError("a corner is not a number", where=f"{path}:{line}") from None
            boxes.append(Box(*corners, label=row["label"], line=line))
        image = path.parent / name
        with Image.open(image) as img:
            width, height = img.size
        return Example(image, width, height, boxes, source=str(path), filename=name)


class CsvMarksWriter(DatasetWriter):
    def write(self, examples, out_dir, label_map: LabelMap, *, split="train", shards=1):
        folder = out_dir / split
        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / MARKS]
        with written[0].open("w", newline="", encoding="utf-8") as f:
            rows = csv.writer(f)
            rows.writerow(COLUMNS)
            for example in examples:
                written.append(example.save_image(folder))
                for b in example.boxes:
                    rows.writerow([example.name, b.label, b.xmin, b.ymin, b.xmax, b.ymax])
        return written


class CsvPageWriter(Writer):
    """One row per glyph that `imagine ocr` read: the marks' columns and the score."""

    suffix = ".csv"

    def write(self, page: Page, out_dir: Path) -> Path:
        path = out_dir / f"{page.name}{self.suffix}"
        with path.open("w", newline="", encoding="utf-8") as f:
            rows = csv.writer(f)
            rows.writerow([*COLUMNS, "score"])
            image = page.image_path.name if page.image_path else page.name
            for g in page.glyphs:
                rows.writerow([image, g.char, *g.box, g.score])
        return path


def _csv_folder(source: str) -> bool:
    return (Path(source).expanduser() / MARKS).is_file()


@hookimpl
def imagine_register(registry):
    registry.add(
        "dataset_reader",
        "csv_input_reader",
        factory=lambda config, **_: CsvMarksReader(config.input_path),
        config_type=messages.CsvInputReader,
        claims=_csv_folder,
        description="a folder of page images with one marks.csv",
    )
    registry.add(
        "dataset_writer",
        "csv",
        factory=lambda **_: CsvMarksWriter(),
        description="page images and one marks.csv",
    )
    registry.add(
        "writer",
        "csv",
        factory=lambda **_: CsvPageWriter(),
        description="glyphs read, one CSV row each",
    )
