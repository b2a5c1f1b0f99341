"""The scale a page is read at, chosen by the model's own confidence.

The measured glyph height (``scale.py``) misleads where the page's median component is
not what it is on the training pages: an all-capitals page (cap height taken for
x-height, so the page is shrunk until its capitals look like small letters), a photograph
whose strokes break into pieces, a face of unusual proportions. The model itself can
tell: its detections score highest at the scale it learned. A few of the page's most
inked tiles are read at a handful of factors around the measured one, and the page is
read at the factor whose detections score highest on average, if clearly (``MARGIN``)
higher than at the measured one. On training-like pages
rescaled by known factors (0.7, 1, 1.4) the highest mean score fell on a factor within
a few tenths of a point of the best CER every time (the recipe's corpus/eval pages).
"""

from __future__ import annotations

import numpy as np

from imagine_core.api import Detector
from imagine_plugins.ocr.scale import LIMITS, resized

AROUND = (0.8, 1.0, 1.25, 1.5)  # factors tried, times the measured one
MARGIN = 0.05  # another factor must beat the measured one's mean score by this share
SAMPLE = 4  # tiles read at each factor: the page's most inked


def inked_tiles(image: np.ndarray, size: int, count: int) -> np.ndarray:
    """The ``count`` tiles of side ``size`` (a grid over the page, white-padded) holding
    the most ink, as one batch."""
    h, w = image.shape[:2]
    padded = np.pad(image, ((0, -h % size), (0, -w % size), (0, 0)), constant_values=255).astype(
        np.float32
    )
    rows, cols = padded.shape[0] // size, padded.shape[1] // size
    grid = padded.reshape(rows, size, cols, size, -1).swapaxes(1, 2).reshape(-1, size, size, 3)
    ink = (255.0 - grid.mean(axis=-1)).sum(axis=(1, 2))
    return grid[np.argsort(-ink, kind="stable")[:count]]


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
    scores = {}
    for k in AROUND:  # 1.0 among them: the measured factor's own score
        factor = float(np.clip(measured * k, *LIMITS))
        page = image if factor == 1.0 else resized(image, factor)
        scores[factor] = confidence(detector, inked_tiles(page, size, SAMPLE), min_score)
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] > scores[measured] * (1 + MARGIN) else measured
