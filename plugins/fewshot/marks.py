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
    score_sum: float = 0.0

    @property
    def mean_score(self) -> float:
        return self.score_sum / self.glyphs if self.glyphs else 0.0


def write_marks(read: Path, out: Path, keep_score: float) -> Kept:
    """For every page ``imagine ocr`` read into ``read`` (its JSON), a copy of the page
    image in ``out`` with LabelImg XML of the glyphs scored at least ``keep_score``.
    Pages inside a multi-page file are left out (LabelImg opens a file's first page)."""
    writer = instantiate(get_plugins().registry.get("dataset_writer", "labelimg"), None, None)
    kept = Kept()
    for found in sorted(read.glob("*.json")):
        page = json.loads(found.read_text(encoding="utf-8"))
        image = Path(page["image"] or "")
        if not image.is_file() or image.stem != found.stem:
            continue
        glyphs = page["glyphs"]
        boxes = [Box(*g["box"], label=g["char"]) for g in glyphs if g["score"] >= keep_score]
        kept.glyphs += len(glyphs)
        kept.score_sum += sum(g["score"] for g in glyphs)
        if not boxes:
            continue
        name = f"read_{image.name}"  # never the name of one of the user's marked pages
        example = Example(image, page["width"], page["height"], boxes, filename=name)
        writer.write([example], out.parent, LabelMap.from_names(b.label for b in boxes),
                     split=out.name)  # fmt: skip
        kept.marks += len(boxes)
        kept.pages += 1
    return kept


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
