"""LabelImg's YOLO format: ``classes.txt`` plus ``stem.txt`` per image (``class cx cy w h``)."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image

from imagine_core.api import IGNORE, Box, DataError, Example, LabelMap, normalise, read_text
from imagine_plugins.labelimg.numbers import integer, number
from imagine_plugins.labelimg.voc import image_beside


def read_classes(folder: Path) -> list[str]:
    path = folder / "classes.txt"
    if not path.exists() and not path.is_symlink():
        raise DataError(
            "no classes.txt in this YOLO folder",
            where=str(folder),
            fix="LabelImg writes classes.txt beside the label files",
        )
    names = [normalise(line.strip()) for line in read_text(path, "class list").splitlines()]
    while names and not names[-1]:
        names.pop()  # a trailing blank line; one inside keeps its place (and names no class)
    first: dict[str, int] = {}
    for line, name in enumerate(names, 1):
        if name and first.setdefault(name, line) != line:
            raise DataError(
                f"line {line} names {name!r} again (line {first[name]} did): the boxes of "
                f"class ids {first[name] - 1} and {line - 1} would become one class",
                where=f"{path}:{line}",
                fix="give each class its own name, or relabel one id's boxes to the other",
            )
    return names


def _image_for(label_file: Path) -> Path:
    found = image_beside(label_file)
    if found is not None:
        return found
    raise DataError(
        f"no image for this label file (looked for {label_file.stem}.*)",
        where=str(label_file),
        fix="put the image next to its .txt file",
    )


def parse_yolo(label_file: Path, classes: list[str]) -> Example:
    image = _image_for(label_file)
    try:
        with Image.open(image) as img:
            width, height = img.size
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(f"cannot read the image: {exc}", where=str(image)) from None
    text = read_text(label_file, "label file")
    boxes = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{label_file}:{line_number}"
        parts = line.split()
        if len(parts) != 5:
            raise DataError(f"expected 'class cx cy w h', got {line.strip()!r}", where=where)
        try:
            index = integer(parts[0])
            cx, cy, w, h = (number(p) for p in parts[1:])
        except ValueError:
            raise DataError(f"not numbers: {line.strip()!r}", where=where) from None
        if not all(map(math.isfinite, (cx, cy, w, h))):
            raise DataError(f"not finite numbers: {line.strip()!r}", where=where)
        if not 0 <= index < len(classes):
            raise DataError(
                f"class {index} is not in classes.txt ({len(classes)} classes)", where=where
            )
        boxes.append(
            Box(
                (cx - w / 2) * width,
                (cy - h / 2) * height,
                (cx + w / 2) * width,
                (cy + h / 2) * height,
                label=classes[index],
                line=line_number,
            )
        )
    return Example(
        image=image,
        width=width,
        height=height,
        boxes=boxes,
        source=str(label_file),
        filename=image.name,
    )


def yolo_lines(example: Example, label_map: LabelMap) -> str:
    lines = []
    for box in example.boxes:
        if box.ignore:
            raise DataError(
                f"an ignore region ({IGNORE}) has no class in YOLO",
                where=example.source or example.name,
                fix="write it as labelimg or tfrecord, which keep ignore regions",
            )
        cx = (box.xmin + box.xmax) / 2 / example.width
        cy = (box.ymin + box.ymax) / 2 / example.height
        w, h = box.width / example.width, box.height / example.height
        lines.append(f"{label_map.ids[box.label] - 1} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return "\n".join(lines) + ("\n" if lines else "")
