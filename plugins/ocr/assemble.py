"""Glyphs to regions, lines and words: the 'lines' text assembler.

Columns first (an XY-cut: empty vertical bands wider than a glyph and a half split a
block, then unusually wide horizontal gaps do), so that two columns' lines at one
height never merge. Inside a column, body glyphs (not punctuation or marks) are
chained left to right into the line whose *recent* glyphs they overlap most in
height, so slight skew and ascenders/descenders do not break a line. Small glyphs
(punctuation, diacritics) then join the line nearest to them vertically at their
place. Spaces come from gap statistics, in units of each line's height: the page's
pooled gaps split into letter and word gaps (Otsu), and each line shifts that threshold
by how far its own letter gaps (their median) differ from the page's. Last, each line is
written in one script (``scripts.py``: Latin ``A`` and Greek ``Α`` are one shape) and,
with a word list, its words spelled from the glyphs' alternatives (``lexicon.py``).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from imagine_core.api import Glyph, Line, Region, TextAssembler, Word, union
from imagine_plugins.ocr.lexicon import Lexicon, spelled
from imagine_plugins.ocr.scripts import one_script_per_line, page_votes

GUTTER = 1.5  # an empty vertical band this many glyph heights wide separates columns
COLUMN_LINES = 2.5  # … when the text on both sides runs beside it this many heights
BLOCK_GAP = 2.5  # a horizontal gap this many glyph heights (and 2x the usual) splits a block
BODY = 0.75  # glyphs at least this fraction of the median height carry a line
RECENT = 3  # a line's band at its growing end is that of its last few body glyphs
OVERLAP = 0.5  # vertical overlap (of the smaller height) to join a line
SEPARATION = 0.25  # word gaps exceeding letter gaps by this fraction of the line height …
MIN_SEPARATION = 0.1  # … or by this much, if they are a share of the gaps words make:
WORD_SHARE = (0.05, 0.45)  # words of 2 to 20 letters on average
FALLBACK_SPACE = 0.3  # when no gap statistics decide: a gap over 0.3 line heights
MIN_GAPS = 3  # letter gaps a line needs to adjust the page's word-space threshold


def otsu(values: np.ndarray) -> tuple[float, float]:
    """Best two-group split of 1-D values: (threshold, distance between group means)."""
    v = np.sort(values)
    n = len(v)
    if n < 2:
        return float("inf"), 0.0
    sums = np.cumsum(v)
    k = np.arange(1, n)
    low = sums[:-1] / k
    high = (sums[-1] - sums[:-1]) / (n - k)
    between = (k / n) * (1 - k / n) * (high - low) ** 2
    best = int(np.argmax(between))
    return float((v[best] + v[best + 1]) / 2), float(high[best] - low[best])


def _empty_bands(glyphs: list[Glyph], axis: int) -> list[tuple[float, float]]:
    """(width, middle) of every empty band in the projection on ``axis`` (0: x, 1: y)."""
    spans = sorted((g.box[axis], g.box[axis + 2]) for g in glyphs)
    bands, reach = [], spans[0][1]
    for start, end in spans[1:]:
        if start > reach:
            bands.append((start - reach, (reach + start) / 2))
        reach = max(reach, end)
    return bands


def _split(glyphs: list[Glyph], axis: int, min_gap: float) -> list[list[Glyph]]:
    """Split at empty bands of the projection on ``axis`` at least ``min_gap`` wide."""
    cuts = [middle for width, middle in _empty_bands(glyphs, axis) if width >= min_gap]
    if not cuts:
        return [glyphs]
    parts: list[list[Glyph]] = [[] for _ in range(len(cuts) + 1)]
    for g in glyphs:
        centre = (g.box[axis] + g.box[axis + 2]) / 2
        parts[int(np.searchsorted(cuts, centre))].append(g)
    return [p for p in parts if p]


def _side_by_side(parts: list[list[Glyph]], height: float) -> list[list[Glyph]]:
    """Keep a vertical cut only between parts that run beside each other for a few lines:
    a wide gap within one line is a wide space, not a gutter."""
    merged = [parts[0]]
    for part in parts[1:]:
        a, b = union([g.box for g in merged[-1]]), union([g.box for g in part])
        if min(a[3], b[3]) - max(a[1], b[1]) >= COLUMN_LINES * height:
            merged.append(part)
        else:
            merged[-1] = merged[-1] + part
    return merged


def blocks(glyphs: list[Glyph], height: float, direction: str) -> list[list[Glyph]]:
    """The page's text blocks in reading order (recursive XY-cut)."""
    columns = _side_by_side(_split(glyphs, 0, GUTTER * height), height)
    if len(columns) > 1:
        if direction == "rtl":
            columns.reverse()
        return [b for column in columns for b in blocks(column, height, direction)]
    gaps = [width for width, _ in _empty_bands(glyphs, 1)]
    if gaps:
        threshold = max(BLOCK_GAP * height, 2 * statistics.median(gaps))
        rows = _split(glyphs, 1, threshold)
        if len(rows) > 1:
            return [b for row in rows for b in blocks(row, height, direction)]
    return [glyphs]


@dataclass
class _Line:
    body: list[Glyph] = field(default_factory=list)
    small: list[Glyph] = field(default_factory=list)

    def band_near(self, x: float) -> tuple[float, float]:
        """Vertical extent of the body glyphs nearest to ``x`` (the line's local height)."""
        near = sorted(self.body, key=lambda g: abs((g.box[0] + g.box[2]) / 2 - x))[:RECENT]
        return min(g.box[1] for g in near), max(g.box[3] for g in near)

    def band_end(self) -> tuple[float, float]:
        recent = self.body[-RECENT:]
        return min(g.box[1] for g in recent), max(g.box[3] for g in recent)

    @property
    def glyphs(self) -> list[Glyph]:
        return self.body + self.small


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return max(shared, 0.0) / max(min(a[1] - a[0], b[1] - b[0]), 1e-6)


def group_lines(glyphs: list[Glyph], height: float) -> list[list[Glyph]]:
    """Glyphs of each line, lines top to bottom (glyphs in no particular order)."""
    body = sorted((g for g in glyphs if g.height >= BODY * height), key=lambda g: g.box[0])
    small = [g for g in glyphs if g.height < BODY * height]
    lines: list[_Line] = []
    for g in body:
        span = (g.box[1], g.box[3])
        best, best_overlap = None, OVERLAP
        for line in lines:
            overlap = _overlap(span, line.band_end())
            if overlap >= best_overlap:
                best, best_overlap = line, overlap
        if best is None:
            lines.append(_Line(body=[g]))
        else:
            best.body.append(g)
    for g in small:
        x, y = (g.box[0] + g.box[2]) / 2, g.centre_y
        best, best_distance = None, float("inf")
        for line in lines:
            left = min(b.box[0] for b in line.body) - 2 * height
            right = max(b.box[2] for b in line.body) + 2 * height
            if not left <= x <= right:
                continue
            top, bottom = line.band_near(x)
            distance = max(top - y, y - bottom, 0.0)
            if distance <= bottom - top and distance < best_distance:
                best, best_distance = line, distance
        if best is None:
            lines.append(_Line(body=[g]))
        else:
            best.small.append(g)
    members = [line.glyphs for line in lines]
    members.sort(key=lambda m: statistics.fmean(g.centre_y for g in m))
    return members


def _ordered(line: list[Glyph]) -> list[Glyph]:
    """Left to right by centre; a mark over or under a letter (a small glyph mostly
    within its width) comes right after that letter, as a combining mark does."""
    height = statistics.median(g.height for g in line)
    body = sorted((g for g in line if g.height >= BODY * height), key=_centre)
    ordered = list(body)
    for g in sorted((g for g in line if g.height < BODY * height), key=_centre):
        width = max(g.box[2] - g.box[0], 1e-6)
        host = next(
            (b for b in body if min(b.box[2], g.box[2]) - max(b.box[0], g.box[0]) > 0.5 * width),
            None,
        )
        if host is not None:
            ordered.insert(ordered.index(host) + 1, g)
        else:
            keys = [_centre(o) for o in ordered]
            ordered.insert(int(np.searchsorted(keys, _centre(g))), g)
    return ordered


def _centre(g: Glyph) -> float:
    return (g.box[0] + g.box[2]) / 2


def _gaps(ordered: list[Glyph]) -> np.ndarray:
    """Gaps between neighbours (overlaps count as 0) in units of the line's glyph height."""
    height = statistics.median(g.height for g in ordered) or 1.0
    return np.array([max(b.box[0] - a.box[2], 0.0) / height for a, b in pairwise(ordered)])


@dataclass
class Spacing:
    """The page's word-space threshold and its typical letter gap (in line heights)."""

    threshold: float
    letter_gap: float

    def for_line(self, gaps: np.ndarray) -> float:
        """Shifted by how much wider or tighter this line's own letter gaps are (tracking,
        justification), measured on the gaps below the threshold: their median is robust
        to the odd missed glyph, which a per-line split is not."""
        letters = gaps[gaps <= self.threshold]
        if len(letters) < MIN_GAPS:
            return self.threshold
        return self.threshold + float(np.median(letters)) - self.letter_gap


WIDEST = 1.5  # gaps are capped at this many line heights before they are split
RARE = 0.08  # an upper group of fewer gaps than this is strays or missed glyphs, not words


def page_spacing(lines: list[list[Glyph]]) -> Spacing:
    """The page's word-space threshold: Otsu's split of all its gaps, where the split is
    one of word gaps from letter gaps. A detector's boxes are a little larger than the ink,
    so every gap shrinks (letter gaps to nothing) and the separation with it: the split
    counts when it separates by ``SEPARATION``, or by ``MIN_SEPARATION`` with a share of
    the gaps words make (evenly spread gaps split in halves, not so)."""
    pooled = np.concatenate([_gaps(_ordered(line)) for line in lines] or [np.zeros(0)])
    # A gap of many line heights (a stray glyph far along the line) is a word gap like
    # any other; uncapped, one such gap would be a group of its own for Otsu's split.
    pooled = np.minimum(pooled, WIDEST)
    threshold, separation = otsu(pooled)
    wide = pooled > threshold
    if 0 < wide.mean() < RARE:
        # Too few gaps above the split for the page's word spaces: they are strays (false
        # detections in a margin) or missed glyphs. Words are split from letters below them.
        threshold, separation = otsu(pooled[~wide])
    share = float((pooled > threshold).mean()) if len(pooled) else 0.0
    words = WORD_SHARE[0] <= share <= WORD_SHARE[1] and separation >= MIN_SEPARATION
    if separation < SEPARATION and not words:
        threshold = FALLBACK_SPACE
    letters = pooled[pooled <= threshold]
    return Spacing(threshold, float(np.median(letters)) if len(letters) else 0.0)


def words_of(line: list[Glyph], spacing: Spacing, direction: str) -> list[Word]:
    ordered = _ordered(line)
    gaps = _gaps(ordered)
    threshold = spacing.for_line(gaps)
    words: list[list[Glyph]] = [[ordered[0]]] if ordered else []
    for g, gap in zip(ordered[1:], gaps, strict=True):
        if gap > threshold:
            words.append([g])
        else:
            words[-1].append(g)
    if direction == "rtl":
        return [Word(list(reversed(w))) for w in reversed(words)]
    return [Word(w) for w in words]


class LineAssembler(TextAssembler):
    def __init__(self, words: str = "", sure: float = 0.5):
        """``words``: a word list (lexicon.py) for words read with glyphs under ``sure``."""
        self.lexicon = Lexicon.read(words) if words else None
        self.sure = sure

    def assemble(self, glyphs: list[Glyph], direction: str = "ltr") -> list[Region]:
        if not glyphs:
            return []
        height = statistics.median(g.height for g in glyphs)
        grouped = [group_lines(block, height) for block in blocks(glyphs, height, direction)]
        spacing = page_spacing([line for lines in grouped for line in lines])
        regions = [
            Region([Line(words_of(line, spacing, direction)) for line in lines])
            for lines in grouped
        ]
        page = page_votes([line for region in regions for line in region.lines])
        for region in regions:
            for line in region.lines:
                self._finish(line, page)
        return regions

    def _finish(self, line: Line, page: Counter[str]) -> None:
        one_script_per_line(line, page)
        if self.lexicon is not None:
            for word in line.words:
                spelled(word, self.lexicon, self.sure)
