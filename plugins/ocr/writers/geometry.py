"""What line-based and character-based consumers need beyond boxes: a baseline per line
(eScriptorium, Transkribus, kraken read lines by their baselines) and one box and one
confidence per code point of a glyph whose label has several (a ligature 'st')."""

from __future__ import annotations

import statistics
import unicodedata

from imagine_core.api import Glyph, Line

BoxXY = tuple[float, float, float, float]


def _densest(values: list[float], tolerance: float) -> list[int]:
    """Indices of the values within ``tolerance`` of the value most others agree with."""
    best = max(values, key=lambda v: (sum(abs(w - v) <= tolerance for w in values), -v))
    return [i for i, v in enumerate(values) if abs(v - best) <= tolerance]


def _feet(glyphs: list[Glyph]) -> tuple[float, float]:
    """Slope and intercept of the line most glyph bottoms sit on: fit, keep the glyphs
    whose bottoms agree best with the fit (descenders hang below it, commas and accents
    sit elsewhere), fit those again."""
    xs = [(g.box[0] + g.box[2]) / 2 for g in glyphs]
    ys = [g.box[3] for g in glyphs]
    tolerance = max(1.0, 0.1 * statistics.median(g.height for g in glyphs))
    chosen = list(range(len(glyphs)))
    slope, intercept = 0.0, statistics.median(ys)
    for _ in range(3):
        if len({xs[i] for i in chosen}) > 1:
            slope, intercept = statistics.linear_regression(
                [xs[i] for i in chosen], [ys[i] for i in chosen]
            )
        else:
            slope, intercept = 0.0, statistics.median(ys[i] for i in chosen)
        chosen = _densest(
            [y - (slope * x + intercept) for x, y in zip(xs, ys, strict=True)], tolerance
        )
    return slope, intercept


def baseline(line: Line, direction: str = "ltr") -> list[tuple[int, int]]:
    """Two points on the line's baseline, from its start to its end. Horizontal script:
    the line most glyphs stand on, so descenders (p, q, ſ) do not pull it down and a skewed
    line keeps its slope; vertical script (ttb): the glyphs' median centre line."""
    glyphs = line.glyphs
    x0, y0, x1, y1 = line.box
    if direction == "ttb":
        centre = round(statistics.median((g.box[0] + g.box[2]) / 2 for g in glyphs))
        return [(centre, round(y0)), (centre, round(y1))]
    slope, intercept = _feet(glyphs)
    start, end = (x0, x1) if direction != "rtl" else (x1, x0)
    # Inside the line's box, as PAGE's validator and ALTO's readers require: a fit over
    # few or scattered glyphs extrapolates far beyond a narrow line (y = -2453).
    top, bottom = max(round(y0), 0), max(round(y1), 0)
    return [
        (max(round(x), 0), min(max(round(slope * x + intercept), top), bottom))
        for x in (start, end)
    ]


def code_points(glyph: Glyph, direction: str = "ltr") -> list[tuple[str, BoxXY]]:
    """Each code point of the glyph's label with its share of the box: the box split evenly
    along the writing direction among the spacing characters; a combining mark shares the
    box of the character it sits on."""
    chars = list(glyph.char)
    spacing = [c for c in chars if not unicodedata.combining(c)] or chars
    x0, y0, x1, y1 = glyph.box
    vertical = direction == "ttb"
    step = ((y1 - y0) if vertical else (x1 - x0)) / len(spacing)
    parts: list[tuple[str, BoxXY]] = []
    index = -1
    for char in chars:
        if not unicodedata.combining(char) or index < 0:
            index += 1
        k = len(spacing) - 1 - index if direction == "rtl" else index
        k = min(k, len(spacing) - 1)
        if vertical:
            parts.append((char, (x0, y0 + k * step, x1, y0 + (k + 1) * step)))
        else:
            parts.append((char, (x0 + k * step, y0, x0 + (k + 1) * step, y1)))
    return parts
