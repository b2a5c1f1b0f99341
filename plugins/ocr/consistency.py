"""A glyph's character checked against the page's own sure glyphs (``ocr.shape_weight``).

A detector trained from one marked instance per character confuses characters it saw drawn
too few times (``m``/``n``, ``e``/``o``, ``l``/``t``), yet the page it reads holds many
instances of each, read with confidence, in the page's own type and ink: a document's type
repeats. So where the detector weighs several characters at one place
(``Glyph.alternatives``), each is compared with the page's sure glyphs of that character
(its likely ones, where it has no sure one) — normalised cross-correlation of the ink
over small shifts (OpenCV's ``matchTemplate``: insensitive to a line's ink being lighter
or darker) — and the place takes the character whose detector score plus ``weight`` times
that similarity is highest. Only a character the detector offered can be chosen, and one
with no likely glyph on the page is not compared: the detector's own choice stands where
the page has nothing to say.

The same comparison finds what is no glyph at all: an uncertain glyph (under the page
reader's ``low_confidence``) whose ink looks like none of the page's many sure glyphs of
its character (similarity under ``MIN_LIKENESS``) is dropped — specks, a page's edge, a
piece of a neighbour's stroke read as a letter. Such strays also upset the text's
assembly: a gap they split is no longer seen as a word space.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from imagine_core.api import Glyph

SURE = 0.8  # glyphs at least this sure are the page's drawings of their character
FALLBACK = 0.5  # … or, for a character the page has none of, at least this sure
DRAWINGS = 20  # the surest this many of a character are compared with
BEST = 3  # a place's similarity to a character: the mean of its best few matches
SHIFT = 0.1  # matches are tried shifted by up to this share of the glyph's height
MIN_SHIFT = 2  # … and at least this many pixels
MIN_SIDE = 3  # drawings thinner than this (a dot, a dash) give no shape to compare
MIN_LIKENESS = 0.5  # an uncertain glyph less like its character's drawings is dropped …
MIN_DRAWINGS = 5  # … where the page has at least this many of them


def ink_of(image: np.ndarray) -> np.ndarray:
    """The page's darkness (0 white), float32, from an RGB or grey uint8 image."""
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    return 255.0 - grey.astype(np.float32)


def _cut(ink: np.ndarray, box: tuple[float, ...], pad: int = 0) -> np.ndarray:
    x0, y0, x1, y1 = (int(np.rint(v)) for v in box)
    height, width = ink.shape
    return ink[max(0, y0 - pad) : min(height, y1 + pad), max(0, x0 - pad) : min(width, x1 + pad)]


def drawings(glyphs: list[Glyph], ink: np.ndarray) -> dict[str, list[np.ndarray]]:
    """The page's sure glyphs' ink, surest first, up to ``DRAWINGS`` per character. A
    character the model is never sure of on the page (an ``m`` learnt from one mark, read
    at 0.5-0.7 everywhere) is drawn by its glyphs read at ``FALLBACK`` or more: without
    them, every ``m`` read as ``n`` would stay one."""
    best: dict[str, float] = {}
    for g in glyphs:
        best[g.char] = max(best.get(g.char, 0.0), g.score)
    floor = {char: SURE if score >= SURE else FALLBACK for char, score in best.items()}
    sure = sorted((g for g in glyphs if g.score >= floor[g.char]), key=lambda g: -g.score)
    found: dict[str, list[np.ndarray]] = {}
    for g in sure:
        kept = found.setdefault(g.char, [])
        cut = _cut(ink, g.box)
        # a flat cut (no ink in the box) would match everything (OpenCV gives it 1.0)
        if len(kept) < DRAWINGS and min(cut.shape) >= MIN_SIDE and cut.std() > 1.0:
            kept.append(cut)
    return {char: cuts for char, cuts in found.items() if cuts}


def similarity(ink: np.ndarray, glyph: Glyph, cuts: list[np.ndarray]) -> float | None:
    """How much the ink at ``glyph``'s place looks like ``cuts`` (-1..1): each drawing is
    slid over the place, centred on the glyph's centre, and the best few matches averaged.
    None where no drawing fits inside the page there."""
    import cv2

    x0, y0, x1, y1 = glyph.box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    shift = max(MIN_SHIFT, round(SHIFT * (y1 - y0)))
    matches = []
    for cut in cuts:
        h, w = cut.shape
        place = _cut(ink, (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), shift)
        if place.shape[0] >= h and place.shape[1] >= w:
            matches.append(float(cv2.matchTemplate(place, cut, cv2.TM_CCOEFF_NORMED).max()))
    if not matches:
        return None
    return float(np.mean(sorted(matches, reverse=True)[:BEST]))


def checked(
    glyphs: list[Glyph], image: np.ndarray, weight: float, low_confidence: float = 0.5
) -> list[Glyph]:
    """``glyphs`` with each place's character chosen among the detector's alternatives by
    score + ``weight`` × similarity to the page's sure glyphs of that character (a changed
    glyph takes its new character's detector score), and the uncertain ones (under
    ``low_confidence``, the page reader's) that look like none of them dropped."""
    if weight <= 0 or not glyphs:
        return glyphs
    ink = ink_of(image)
    known = drawings(glyphs, ink)
    chosen = (_choose(g, ink, known, weight, low_confidence) for g in glyphs)
    return [g for g, alike in chosen if not _stray(g, alike, known, low_confidence)]


def _choose(
    glyph: Glyph, ink: np.ndarray, known: dict[str, list[np.ndarray]], weight: float,
    low_confidence: float,
) -> tuple[Glyph, float | None]:  # fmt: skip
    """The glyph as chosen, and its similarity to its character's drawings (None: not
    compared)."""
    offered = [(c, s) for c, s in glyph.alternatives if c in known] or [(glyph.char, glyph.score)]
    if glyph.char not in {c for c, _ in offered}:
        return glyph, None
    if len(offered) < 2 and glyph.score >= low_confidence:
        return glyph, None  # one candidate and sure: nothing to choose, nothing to drop
    totals = {}
    for char, score in offered:  # best first: a character offered twice keeps its best
        if char in totals:
            continue
        alike = similarity(ink, glyph, known[char]) if char in known else None
        if alike is not None:
            totals[char] = (score + weight * alike, score, alike)
    if glyph.char not in totals:
        return glyph, None
    best = max(totals, key=lambda c: totals[c][0])
    if best == glyph.char:
        return glyph, totals[best][2]
    _, score, alike = totals[best]
    return replace(glyph, char=best, score=score, uncertain=score < low_confidence), alike


def _stray(
    glyph: Glyph, alike: float | None, known: dict[str, list[np.ndarray]], low_confidence: float
) -> bool:
    """An uncertain glyph unlike the page's many sure drawings of its character."""
    many = len(known.get(glyph.char, ())) >= MIN_DRAWINGS
    return glyph.score < low_confidence and many and alike is not None and alike < MIN_LIKENESS
