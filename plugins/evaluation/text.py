"""Glyph boxes to text: a simple line grouping (the OCR page reader refines this).

Tall glyphs set the lines' vertical bands first; every glyph then joins the line
whose band (with 30% slack) holds its centre, the nearest one, so punctuation and
diacritics above or below the band stay in their line. Lines are read top to
bottom, glyphs left to right; a gap wider than ``space`` times the line's median
glyph height is a space.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def lines_of(boxes: Sequence[Sequence[float]], labels: Sequence[str]) -> list[list[int]]:
    """Indices of the glyphs of each line, in reading order."""
    heights = sorted(b[3] - b[1] for b in boxes)
    typical = heights[len(heights) // 2] if heights else 1.0

    # Tall glyphs first: they set a line's band; punctuation and marks then join it.
    def rank(i: int) -> float:
        height = boxes[i][3] - boxes[i][1]
        return -height if height >= 0.6 * typical else 0.0

    order = sorted(range(len(boxes)), key=rank)
    lines: list[dict] = []
    for i in order:
        _, y0, _, y1 = boxes[i]
        centre = (y0 + y1) / 2
        best, best_distance = None, float("inf")
        for line in lines:
            slack = 0.3 * (line["bottom"] - line["top"])
            if line["top"] - slack <= centre <= line["bottom"] + slack:
                distance = abs(centre - (line["top"] + line["bottom"]) / 2)
                if distance < best_distance:
                    best, best_distance = line, distance
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
