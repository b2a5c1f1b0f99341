"""Glyph size: how big a page's characters are, so pages are read at the scale the model
learned.

A detector trained on 20 px glyphs misses most of a scan whose glyphs are 40 px. The
size is measured the same way on the training pages (a run records the range as
``ocr.min_glyph_height`` and ``max_glyph_height``) and on every page read: the 80th
percentile of the heights of the connected components of the page's ink (Otsu's
threshold, OpenCV), leaving out specks and punctuation. Only the ratio of the two
matters. Not the median: in running Latin text that is the x-height, on a page set in
capitals the cap height, 1.33x taller with the same type, and such a page was read
shrunk, its capitals the size of small letters, and read as small letters (E as e, A as
a). A fifth or more of running text's components are tall (ascenders, descenders,
capitals), so the 80th percentile is the tall letters' height in both (on training-like
pages of 24 faces, all-caps over mixed-case: median 1.00, against 1.33 for the median).
"""

from __future__ import annotations

import cv2
import numpy as np

# Within this ratio a page is read as it is: resampling costs time and sharpness.
TOLERANCE = 1.12
LIMITS = (0.2, 5.0)  # the most a page is shrunk or enlarged
TALL = 80  # the percentile of component heights that measures a page's type
MEDIAN_BEFORE = 50  # what runs recorded before ocr.glyph_height_percentile existed


def glyph_height(image: np.ndarray, percentile: float = TALL) -> float | None:
    """How tall the page's type is in pixels: the ``percentile`` of the heights of its
    glyph-like ink components; None for a page with too little ink to tell."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image.astype(np.uint8), cv2.COLOR_RGB2GRAY)
    grey = grey.astype(np.uint8)
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count < 2:
        return None
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    areas = stats[1:, cv2.CC_STAT_AREA]
    tall = image.shape[0] * 0.2  # rules, borders, pictures
    glyphs = heights[(areas >= 6) & (heights >= 3) & (heights < tall) & (widths < 8 * heights)]
    if glyphs.size < 10:
        return None
    rough = float(np.median(glyphs))
    kept = glyphs[glyphs >= 0.45 * rough]  # dots, commas and specks
    return float(np.percentile(kept, percentile))


def scale_for(image: np.ndarray, low: float, high: float, percentile: float = TALL) -> float:
    """The factor that brings the page's glyphs into ``low``..``high`` px (1.0: read as
    it is: inside the range, within a tolerance, or no range known)."""
    if low <= 0 or high <= 0:
        return 1.0
    measured = glyph_height(image, percentile)
    if not measured:
        return 1.0
    factor = float(np.clip(np.clip(measured, low, high) / measured, *LIMITS))
    return 1.0 if 1 / TOLERANCE <= factor <= TOLERANCE else factor


def resized(image: np.ndarray, factor: float) -> np.ndarray:
    """The page scaled by ``factor`` (area averaging when shrinking)."""
    h, w = image.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    method = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, size, interpolation=method)


def training_range(pages: list[np.ndarray]) -> tuple[float, float]:
    """The 10th and 90th percentile of the training pages' glyph heights ((0, 0): none
    could be measured)."""
    heights = [h for h in map(glyph_height, pages) if h]
    if not heights:
        return 0.0, 0.0
    low, high = np.percentile(heights, [10, 90])
    return float(low), float(high)
