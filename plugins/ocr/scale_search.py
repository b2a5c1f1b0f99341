"""The scale a page is read at, chosen by the model's own confidence.

The measured glyph height (``scale.py``) misleads where the page's median component is
not what it is on the training pages: an all-capitals page (cap height taken for
x-height, so the page is shrunk until its capitals look like small letters), a photograph
whose strokes break into pieces, a face of unusual proportions. The model itself can
tell: its detections score highest at the scale it reads best. A sample of the page's
tiles is read at a handful of factors around the measured one, and the page is read at
the factor whose detections score highest on average, if clearly (``MARGIN``) higher
than at the measured one. On training-like pages rescaled by known factors (0.7, 1, 1.4)
the highest mean score fell on a factor within a few tenths of a point of the best CER
every time (the recipe's corpus/eval pages).

A few-shot model reads a document best at a scale a little larger than its training
pages' (Dancing Script and Havana tuning documents, round 0: full pages read at 1.2-1.3x
scored highest on average and read best). The sample must stand for the page: the most
inked tiles alone are its boldest lines, which scored best at the measured scale and
kept the pages at it. Tiles spread over the more inked half of the page, at finer steps,
and the peak of a parabola through their mean scores (``peak``) chose 1.09-1.12x and read
14.15 -> 11.34% (Dancing) and 8.78 -> 8.33% (Havana); the shipped model's reading of
eight faces of ordinary print, blackletter and Greek stayed as it was (median 2.9%).
"""

from __future__ import annotations

import numpy as np

from imagine_core.api import Detector
from imagine_plugins.ocr.scale import LIMITS, resized

AROUND = (0.8, 0.9, 1.0, 1.12, 1.25, 1.4)  # factors tried, times the measured one
MARGIN = 0.015  # another factor must beat the measured one's mean score by this share
SAMPLE = 8  # tiles read at each factor, spread over the more inked half of the page


def inked_tiles(image: np.ndarray, size: int, count: int) -> np.ndarray:
    """``count`` tiles of side ``size`` (a grid over the page, white-padded) as one batch:
    evenly spread, by their ink, over the more inked half of the grid (the most inked
    first), so that bold and light lines, body and margins' text are all in the sample."""
    h, w = image.shape[:2]
    padded = np.pad(image, ((0, -h % size), (0, -w % size), (0, 0)), constant_values=255).astype(
        np.float32
    )
    rows, cols = padded.shape[0] // size, padded.shape[1] // size
    grid = padded.reshape(rows, size, cols, size, -1).swapaxes(1, 2).reshape(-1, size, size, 3)
    ink = (255.0 - grid.mean(axis=-1)).sum(axis=(1, 2))
    inked = np.argsort(-ink, kind="stable")[: max(count, len(grid) // 2)]
    if len(inked) <= count:
        return grid[inked]
    return grid[inked[np.linspace(0, len(inked) - 1, count).round().astype(int)]]


def confidence(detector: Detector, tiles: np.ndarray, min_score: float) -> float:
    """Mean score of the detections at least ``min_score`` on the tiles (0: none)."""
    scores = [s for found in detector.detect(tiles) for s in found["scores"] if s >= min_score]
    return float(np.mean(scores)) if scores else 0.0


def searched_factor(
    detector: Detector, image: np.ndarray, measured: float, size: int, min_score: float
) -> float:
    """Of the factors around ``measured``, the one the model reads the page most surely
    at; the measured one unless another is surer by ``MARGIN`` (a tile at a larger scale
    holds fewer glyphs, and a near tie is noise, not a better scale)."""
    scores = []
    for k in AROUND:  # 1.0 among them: the measured factor's own score
        factor = float(np.clip(measured * k, *LIMITS))
        page = image if factor == 1.0 else resized(image, factor)
        scores.append(confidence(detector, inked_tiles(page, size, SAMPLE), min_score))
    best, surest, at_measured = peak(np.array(AROUND), np.array(scores))
    if surest <= at_measured * (1 + MARGIN):
        return measured
    return float(np.clip(measured * best, *LIMITS))


def peak(factors: np.ndarray, scores: np.ndarray) -> tuple[float, float, float]:
    """Where the mean scores peak: (factor, score there, score at factor 1). A sample's
    scores wobble by a few percent from factor to factor, so its single best is often
    noise: where they bend down, the vertex of the parabola through them (in log factor,
    kept within the factors tried) is the peak, and both scores are the parabola's. Where
    they do not (still rising at the smallest or largest factor), the best one tried."""
    x = np.log(factors)
    curve = np.polyfit(x, scores, 2)
    if curve[0] < 0:
        top = float(np.clip(-curve[1] / (2 * curve[0]), x[0], x[-1]))
        return float(np.exp(top)), float(np.polyval(curve, top)), float(np.polyval(curve, 0.0))
    best = int(np.argmax(scores))
    measured = int(np.argmin(np.abs(x)))
    return float(factors[best]), float(scores[best]), float(scores[measured])
