"""Glyph boxes to text: a simple line grouping (the OCR page reader refines this).

Glyphs join the line whose vertical core they overlap most; lines are read top to
bottom, glyphs left to right; a gap wider than ``space`` times the line's median
glyph height is a space.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def lines_of(boxes: Sequence[Sequence[float]], labels: Sequence[str]) -> list[list[int]]:
    """Indices of the glyphs of each line, in reading order."""
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][1] + boxes[i][3]) / 2)
    lines: list[dict] = []
    for i in order:
        _, y0, _, y1 = boxes[i]
        centre = (y0 + y1) / 2
        best, best_overlap = None, 0.0
        for line in lines:
            overlap = min(y1, line["bottom"]) - max(y0, line["top"])
            if line["top"] <= centre <= line["bottom"] and overlap > best_overlap:
                best, best_overlap = line, overlap
        if best is None:
            lines.append({"top": y0, "bottom": y1, "members": [i]})
        else:
            best["members"].append(i)
            tops = [boxes[j][1] for j in best["members"]]
            bottoms = [boxes[j][3] for j in best["members"]]
            best["top"], best["bottom"] = statistics.median(tops), statistics.median(bottoms)
    lines.sort(key=lambda line: (line["top"] + line["bottom"]) / 2)
    return [sorted(line["members"], key=lambda j: boxes[j][0]) for line in lines]


def text_of(boxes: Sequence[Sequence[float]], labels: Sequence[str], space: float = 0.3) -> str:
    result = []
    for members in lines_of(boxes, labels):
        height = statistics.median(boxes[j][3] - boxes[j][1] for j in members)
        parts = []
        for k, j in enumerate(members):
            if k and boxes[j][0] - boxes[members[k - 1]][2] > space * height:
                parts.append(" ")
            parts.append(labels[j])
        result.append("".join(parts))
    return "\n".join(result)
