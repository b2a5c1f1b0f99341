"""Self-training's marks: the glyphs a model read with confidence, as LabelImg XML beside a
copy of their page, for ``imagine data synth`` to take as marked pages (everything else
inked on them becomes an ignore region there, as on the user's own marked page)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from imagine_core.api import Box, Example, LabelMap, get_plugins, instantiate


@dataclass
class Kept:
    """What one round took from the pages read: marks kept, glyphs read, pages used."""

    marks: int = 0
    glyphs: int = 0
    pages: int = 0


Sizes = dict[str, tuple[float, float]]


def marked_sizes(marked: Path) -> Sizes:
    """The median width and height of each character's boxes on the user's marked pages
    (read by whichever plugin reads LabelImg folders)."""
    from statistics import median

    from imagine_core.api import make

    record = get_plugins().registry.get(
        "dataset_reader", "labelimg_input_reader", where="imagine fewshot"
    )
    reader = make(record, record.config_type(input_path=[str(marked)]))
    sizes: dict[str, list[tuple[float, float]]] = {}
    for item in reader.items():
        for box in reader.parse(item).boxes:
            if not box.ignore:
                sizes.setdefault(box.label, []).append((box.xmax - box.xmin, box.ymax - box.ymin))
    return {
        label: (median(w for w, _ in found), median(h for _, h in found))
        for label, found in sizes.items()
    }


def _consistent(glyph: dict, sizes: Sizes, tolerance: float) -> bool:
    """Whether a glyph read is the size of that character's marked boxes (within
    ``tolerance``, a fraction; 0 takes every glyph): a wide ``m`` read as ``n`` with
    confidence is not an ``n`` to learn from."""
    if not tolerance or glyph["char"] not in sizes:
        return True
    x0, y0, x1, y1 = glyph["box"]
    width, height = sizes[glyph["char"]]
    return abs((x1 - x0) / width - 1) <= tolerance and abs((y1 - y0) / height - 1) <= tolerance


def write_marks(
    read: Path, out: Path, keep_score: float, sizes: Sizes | None = None, tolerance: float = 0.0
) -> Kept:
    """For every page ``imagine ocr`` read into ``read`` (its JSON), a copy of the page
    image in ``out`` with LabelImg XML of the glyphs scored at least ``keep_score`` (and,
    with ``tolerance``, the size of their character's marked boxes in ``sizes``).
    Pages inside a multi-page file are left out (LabelImg opens a file's first page), and
    so is a page the user marked (the same image under its name in ``out``)."""
    writer = instantiate(get_plugins().registry.get("dataset_writer", "labelimg"), None, None)
    kept = Kept()
    for found in sorted(read.glob("*.json")):
        page = json.loads(found.read_text(encoding="utf-8"))
        image = Path(page["image"] or "")
        if not image.is_file() or image.stem != found.stem or _marked_already(image, out):
            continue
        glyphs = page["glyphs"]
        boxes = [
            Box(*g["box"], label=g["char"])
            for g in glyphs
            if g["score"] >= keep_score and _consistent(g, sizes or {}, tolerance)
        ]
        kept.glyphs += len(glyphs)
        if not boxes:
            continue
        name = f"read_{image.name}"  # never the name of one of the user's marked pages
        example = Example(image, page["width"], page["height"], boxes, filename=name)
        writer.write([example], out.parent, LabelMap.from_names(b.label for b in boxes),
                     split=out.name)  # fmt: skip
        kept.marks += len(boxes)
        kept.pages += 1
    return kept


def _marked_already(image: Path, out: Path) -> bool:
    """Whether the user's marked pages (copied into ``out``) hold this very image."""
    theirs = out / image.name
    return theirs.is_file() and theirs.read_bytes() == image.read_bytes()


def confidence(read: Path) -> tuple[float, float]:
    """How sure a reading was, with no ground truth: the mean score of the glyphs read,
    and the share of them marked uncertain."""
    scores, uncertain = [], 0
    for found in read.glob("*.json"):
        for glyph in json.loads(found.read_text(encoding="utf-8"))["glyphs"]:
            scores.append(glyph["score"])
            uncertain += bool(glyph["uncertain"])
    count = max(len(scores), 1)
    return sum(scores) / count, uncertain / count
