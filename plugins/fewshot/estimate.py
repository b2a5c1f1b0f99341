"""What CER to expect on the document's own pages, which have no ground truth.

The run's CER on its composed held-out pages is far too hopeful on a real document: the
composed pages are made of the marks themselves. What does carry over is how the model's
confidence relates to its errors. Average Thresholded Confidence (Garg et al., "Leveraging
unlabeled data to predict out-of-distribution performance", ICLR 2022) uses exactly that:
on pages with ground truth (the composed held-out pages) find the score under which the
share of glyphs read equals the error rate measured there; on the document's pages, the
share of glyphs read under that score is the estimate. Nothing is fitted to the document.
The pages with ground truth are round 0's, composed from the user's marks alone: later
rounds compose from glyphs the model read, whose labels are its own guesses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from imagine_core.api import get_plugins, instantiate, make


@dataclass(frozen=True)
class Estimate:
    """An estimated CER, the score threshold it came from, and the least sure lines."""

    cer: float
    threshold: float
    composed_cer: float
    glyphs: int
    doubtful_lines: list[tuple[str, str, float]]  # (page, line, share under threshold)


def scores_of(read: Path) -> dict[str, list[tuple[str, float]]]:
    """Per page read by ``imagine ocr`` (its JSON), each glyph's line and score."""
    pages = {}
    for found in sorted(read.glob("*.json")):
        glyphs = json.loads(found.read_text(encoding="utf-8"))["glyphs"]
        pages[found.stem] = [(_line(g), float(g["score"])) for g in glyphs]
    return pages


def _line(glyph: dict) -> str:
    """A line's name as a user finds it: its number from 1, and its region's if not the first."""
    line = f"line {int(glyph.get('line', 0)) + 1}"
    region = int(glyph.get("region", 0))
    return line if region == 0 else f"region {region + 1} {line}"


def composed_cer(read: Path, pages: Path) -> float:
    """The CER of a reading (``imagine ocr``'s JSON) of composed pages against the text
    their LabelImg boxes spell, scored as the run scores its CER (the registry's
    ``character_error_rate`` evaluator, the LabelImg reader)."""
    registry = get_plugins().registry
    evaluator = instantiate(
        registry.get("evaluator", "character_error_rate", where="imagine fewshot"), None, None
    )
    record = registry.get("dataset_reader", "labelimg_input_reader", where="imagine fewshot")
    reader = make(record, record.config_type(input_path=[str(pages)]))
    truths = {}
    for item in reader.items():
        example = reader.parse(item)
        glyphs = [box for box in example.boxes if not box.ignore]
        boxes = [(b.xmin, b.ymin, b.xmax, b.ymax) for b in glyphs]
        truths[Path(example.image).stem] = evaluator.read(boxes, [b.label for b in glyphs])
    for found in sorted(read.glob("*.json")):
        if found.stem in truths:
            text = json.loads(found.read_text(encoding="utf-8"))["text"]
            evaluator.add_text(found.stem, truths[found.stem], text)
    return evaluator.result()["CER"]


def threshold_for(scores: list[float], error_rate: float) -> float:
    """The score under which ``error_rate`` of ``scores`` lie (ATC's threshold)."""
    if not scores:
        return 0.0
    ordered = sorted(scores)
    below = round(min(max(error_rate, 0.0), 1.0) * len(ordered))
    if below >= len(ordered):
        return float("inf")
    return ordered[below]


def estimate(composed: Path, composed_cer: float, document: Path, lines: int = 5) -> Estimate:
    """The ATC estimate of the CER on the pages read into ``document``, from the same
    model's reading of the composed held-out pages (``composed``) and its CER there."""
    source = [score for page in scores_of(composed).values() for _, score in page]
    threshold = threshold_for(source, composed_cer)
    pages = scores_of(document)
    target = [score for page in pages.values() for _, score in page]
    under = sum(score < threshold for score in target)
    return Estimate(
        cer=under / max(len(target), 1),
        threshold=threshold,
        composed_cer=composed_cer,
        glyphs=len(target),
        doubtful_lines=_doubtful(pages, threshold)[:lines],
    )


def _doubtful(pages: dict[str, list[tuple[str, float]]], threshold: float) -> list:
    """Lines by the share of their glyphs read under the threshold, most doubtful first:
    where a correction helps most."""
    rows = []
    for page, glyphs in pages.items():
        by_line: dict[str, list[float]] = {}
        for line, score in glyphs:
            by_line.setdefault(line, []).append(score)
        for line, scores in by_line.items():
            share = sum(score < threshold for score in scores) / len(scores)
            rows.append((page, line, share))
    return sorted(rows, key=lambda row: (-row[2], row[0], row[1]))
