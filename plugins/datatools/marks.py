"""What a marked page tells the synthesiser: each glyph's own ink, the page's spacing.

A box drawn around a glyph also holds bits of its neighbours (serifs, kerned letters,
the descender of the line above) and, in scripts whose letters touch, the stroke that
joins it to the next. The glyph is cut as a mask of ink, not a rectangle: connected
components of the page's ink (OpenCV) that lie mostly inside the box are the glyph's;
a component that mostly lies outside is a neighbour's, unless its part inside the box
is the box's main body (a glyph joined to its neighbour). The page's own statistics —
glyph heights and baselines, letter gaps (and how often letters touch), word gaps and
line pitch — are measured from the same ink, so that composed lines look like its lines.
"""

from __future__ import annotations

import io
import statistics
from dataclasses import dataclass, field
from itertools import pairwise

import cv2
import numpy as np
from PIL import Image

from imagine_core.api import IGNORE, Box, Example


@dataclass
class Glyph:
    label: str
    ink: np.ndarray  # grey, in [0, 1] relative to the paper; 1 (paper) outside the mask
    height: float  # of its ink, relative to the page's median glyph height (the unit)
    drop: float  # ink bottom below the line's baseline, in units
    pad: tuple[float, float, float, float]  # the marked box around the ink (l, t, r, b), units


@dataclass
class Spacing:
    """A page's spacing, in units of its median glyph height."""

    letter_gaps: list[float] = field(default_factory=lambda: [0.08])
    touching: float = 0.0  # how often neighbouring letters touch
    word_gaps: list[float] = field(default_factory=lambda: [0.45])
    pitch: float = 2.0  # baseline to baseline


@dataclass
class MarkedPage:
    grey: np.ndarray  # in [0, 1]
    paper: float
    ink: np.ndarray  # bool
    unit: float
    glyphs: list[Glyph]
    spacing: Spacing
    faint: list[str]  # labels whose box held no ink to cut


def grey_of(example: Example) -> np.ndarray:
    with Image.open(io.BytesIO(example.image_bytes())) as img:
        return np.asarray(img.convert("L"), dtype=np.float32) / 255.0


def ink_of(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """Ink (Otsu's threshold on the page) and the paper's grey level."""
    pixels = np.clip(grey * 255, 0, 255).astype(np.uint8)
    threshold, _ = cv2.threshold(pixels, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = pixels <= threshold
    paper = float(np.median(grey[~ink])) if (~ink).any() else 1.0
    return ink, max(paper, 1e-3)


def text_lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into text lines by vertical overlap with the line's running band."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.ymin + b.ymax) / 2):
        centre = (box.ymin + box.ymax) / 2
        for line in lines:
            top = statistics.median(b.ymin for b in line)
            bottom = statistics.median(b.ymax for b in line)
            if top <= centre <= bottom:
                line.append(box)
                break
        else:
            lines.append([box])
    return lines


def baseline(ink: np.ndarray, box: Box, unit: float) -> float:
    """The baseline of the text line through ``box``, from the ink of the whole line.

    With only a few glyphs marked per line, their own bottoms say little; the row
    profile of all the ink around them shows where the line's core band ends.
    """
    top = max(0, int(box.ymin - 0.5 * unit))
    bottom = min(ink.shape[0], int(box.ymax + 0.5 * unit) + 1)
    left, right = max(0, int(box.xmin - 4 * unit)), int(box.xmax + 4 * unit)  # skew stays small
    profile = ink[top:bottom, left:right].sum(axis=1)
    if profile.size == 0 or profile.max() == 0:
        return box.ymax
    dense = profile > 0.5 * profile.max()
    centre = int((box.ymin + box.ymax) / 2) - top
    rows = np.flatnonzero(dense)
    end = rows[np.argmin(np.abs(rows - centre))]
    while end + 1 < dense.size and dense[end + 1]:
        end += 1
    return float(top + end + 1)


def _window(box: Box, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0 = max(0, int(box.xmin)), max(0, int(box.ymin))
    x1 = min(shape[1], max(x0 + 1, round(box.xmax)))
    y1 = min(shape[0], max(y0 + 1, round(box.ymax)))
    return x0, y0, x1, y1


def glyph_mask(components: np.ndarray, areas: np.ndarray, window: tuple[int, ...]) -> np.ndarray:
    """The ink inside ``window`` that is the glyph's own (see the module's docstring)."""
    x0, y0, x1, y1 = window
    crop = components[y0:y1, x0:x1]
    ids, inside = np.unique(crop[crop > 0], return_counts=True)
    total = inside.sum()
    keep = np.zeros(crop.shape, bool)
    width = max(x1 - x0, 1)
    for cid, count in zip(ids, inside, strict=True):
        part = crop == cid
        if count >= 0.6 * areas[cid]:  # mostly inside: the glyph's (or a dot of it)
            keep |= part
            continue
        # Mostly outside: a neighbour poking in, unless it is the box's main body
        # (a glyph joined to the next one, which the box edge cuts off).
        columns = np.flatnonzero(part.any(axis=0))
        centre = (columns[0] + columns[-1] + 1) / 2 / width
        if count >= 0.3 * total and 0.2 <= centre <= 0.8:
            keep |= part
    return keep


def _cut(
    grey: np.ndarray, paper: float, components: np.ndarray, areas: np.ndarray, box: Box
) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """The glyph's masked ink (tight around it) and its page window, or None if faint."""
    window = _window(box, grey.shape)
    x0, y0, x1, y1 = window
    keep = glyph_mask(components, areas, window)
    if not keep.any():
        return None
    # Anti-aliased edges are just outside the thresholded ink: one pixel more, only
    # where no neighbour's ink is.
    foreign = (components[y0:y1, x0:x1] > 0) & ~keep
    grown = cv2.dilate(keep.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & ~foreign
    ink = np.where(grown, np.clip(grey[y0:y1, x0:x1] / paper, 0.0, 1.0), 1.0)
    rows, cols = np.flatnonzero(keep.any(axis=1)), np.flatnonzero(keep.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return ink[r0:r1, c0:c1], (x0 + c0, y0 + r0, x0 + c1, y0 + r1)


def _gaps(ink: np.ndarray, lines: list[list[Box]], unit: float, glyph_width: float) -> Spacing:
    """Letter and word gaps from each marked line's column profile; line pitch from the
    baselines of the lines (nearest neighbours)."""
    blanks: list[float] = []
    ink_width = 0.0
    for line in lines:
        top = int(statistics.median(b.ymin for b in line))
        bottom = int(statistics.median(b.ymax for b in line)) + 1
        band = ink[max(0, top) : max(top + 1, bottom)]
        columns = band.any(axis=0)
        used = np.flatnonzero(columns)
        if used.size < 2:
            continue
        run = columns[used[0] : used[-1] + 1]
        edges = np.flatnonzero(np.diff(run.astype(np.int8)))
        starts, ends = edges[::2] + 1, edges[1::2] + 1  # blank runs: [start, end)
        blanks += [(e - s) / unit for s, e in zip(starts, ends, strict=False)]
        ink_width += run.sum()
    spacing = Spacing()
    if len(blanks) >= 4:
        values = np.array(blanks)
        # Letter gaps and word gaps are two clusters of blank widths: Otsu's threshold
        # (OpenCV's, on the widths in hundredths of a unit) parts them.
        hundredths = np.clip(values * 100, 0, 255).astype(np.uint8)[None]
        threshold, _ = cv2.threshold(hundredths, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        letters, words = values[hundredths[0] <= threshold], values[hundredths[0] > threshold]
        if len(words) and len(letters) and words.mean() > 2 * letters.mean():
            spacing.word_gaps, spacing.letter_gaps = words.tolist(), letters.tolist()
        else:  # one cluster: these lines hold no word gaps worth the name
            spacing.letter_gaps = values.tolist()
        # Letters whose ink touches leave no blank column between them.
        letter_count = ink_width / max(glyph_width, 1.0)
        expected = max(letter_count - len(spacing.word_gaps) - len(lines), 1.0)
        spacing.touching = float(np.clip(1.0 - len(spacing.letter_gaps) / expected, 0.0, 0.9))
    return spacing


def _pitch(baselines: list[float], unit: float) -> float:
    ordered = sorted(baselines)
    steps = [b - a for a, b in pairwise(ordered) if b - a > 0.8 * unit]
    if not steps:
        return 2.0
    smallest = min(steps)  # lines with no marks make steps of two or more pitches
    return statistics.median(s / round(s / smallest) for s in steps) / unit


def read_marked(example: Example) -> MarkedPage:
    """Everything the synthesiser takes from one marked page."""
    grey = grey_of(example)
    ink, paper = ink_of(grey)
    _, components, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), 8)
    areas = stats[:, cv2.CC_STAT_AREA]
    marks = [b for b in example.boxes if not b.ignore]
    unit = statistics.median(b.height for b in marks) if marks else 24.0
    glyphs, faint, widths = [], [], []
    lines = text_lines(marks)
    line_baselines = []
    for line in lines:
        line_base = statistics.median(baseline(ink, b, unit) for b in line)
        line_baselines.append(line_base)
        for box in line:
            cut = _cut(grey, paper, components, areas, box)
            if cut is None:
                faint.append(box.label)
                continue
            crop, (ix0, iy0, ix1, iy1) = cut
            pad = (
                (ix0 - box.xmin) / unit,
                (iy0 - box.ymin) / unit,
                (box.xmax - ix1) / unit,
                (box.ymax - iy1) / unit,
            )
            widths.append(ix1 - ix0)
            glyphs.append(Glyph(box.label, crop, (iy1 - iy0) / unit, (iy1 - line_base) / unit, pad))
    glyph_width = statistics.median(widths) if widths else unit * 0.6
    spacing = _gaps(ink, lines, unit, glyph_width)
    spacing.pitch = _pitch(line_baselines, unit) if len(line_baselines) > 1 else 2.0
    return MarkedPage(grey, paper, ink, unit, glyphs, spacing, faint)


def ignore_regions(page: MarkedPage, boxes: list[Box]) -> list[Box]:
    """Regions around the page's unmarked ink: words nobody marked are neither glyphs
    nor background. A fully marked page has none (specks of noise aside)."""
    unmarked = page.ink.copy()
    for box in boxes:
        x0, y0, x1, y1 = _window(box, unmarked.shape)
        unmarked[y0:y1, x0:x1] = False
    unit = page.unit
    kernel = np.ones((max(1, round(0.25 * unit)), max(1, round(0.6 * unit))), np.uint8)
    grown = cv2.dilate(unmarked.astype(np.uint8), kernel)
    count, _, stats, _ = cv2.connectedComponentsWithStats(grown, 8)
    regions = []
    margin = 0.1 * unit
    size = unmarked.shape[1], unmarked.shape[0]
    for x, y, bw, bh, area in stats[1:count]:
        if bw * bh < 0.05 * unit * unit or area < 0.05 * unit * unit:
            continue  # a speck, not a glyph
        corners = (x - margin, y - margin, x + bw + margin, y + bh + margin)
        regions.append(box_within(corners, size, IGNORE))
    return regions


def box_within(corners: tuple[float, ...], size: tuple[int, int], label: str) -> Box:
    """A box with these (x0, y0, x1, y1) corners, clipped to a page of ``size`` (w, h)."""
    x0, y0, x1, y1 = corners
    w, h = size
    return Box(
        max(0.0, float(x0)),
        max(0.0, float(y0)),
        min(float(w), float(x1)),
        min(float(h), float(y1)),
        label=label,
    )
