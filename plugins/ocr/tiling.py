"""The 'tiled' page reader: cut pages into overlapping tiles, detect in batches, merge.

Each tile owns the part of the page nearer to it than to its neighbours (the overlap is
shared at its middle); a detection is kept only by the tile owning its centre, so a glyph
seen by two tiles is kept once, and a glyph cut by one tile's border (its box centre
close to that border) is kept by the neighbour that sees it whole. That holds for glyphs
smaller than the overlap. Then, over the whole page, a glyph that mostly overlaps a
better-scored one is dropped (whatever their classes: one place, one character), which
removes what duplicates remain and the detector's thin doubles. Pages smaller than a
tile are padded with white, not scaled: glyph size matters — which is also why each page
is first rescaled so that its glyphs are as tall as those the model was trained on
(``ocr.min_glyph_height``..``max_glyph_height``, see ``scale``); boxes are given in the
page's own pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from imagine_core.api import Detector, Glyph, ImagineError, PageReader
from imagine_plugins.ocr.scale import TALL, resized, scale_for


def origins(length: int, tile: int, overlap: int) -> list[int]:
    """Start of each tile along one side: ``tile - overlap`` apart, the last flush with
    the end."""
    if length <= tile:
        return [0]
    step = tile - overlap
    count = math.ceil((length - overlap) / step)
    return sorted({min(i * step, length - tile) for i in range(count)})


def owned(starts: list[int], tile: int) -> list[tuple[float, float]]:
    """The interval each tile owns: up to the middle of its overlap with each neighbour."""
    bounds = [-math.inf]
    for a, b in pairwise(starts):
        bounds.append((b + a + tile) / 2)
    bounds.append(math.inf)
    return list(pairwise(bounds))


@dataclass
class Tile:
    page: int
    x: int
    y: int
    owns_x: tuple[float, float]
    owns_y: tuple[float, float]


def tiles_of(page: int, height: int, width: int, size: int, overlap: int) -> list[Tile]:
    xs, ys = origins(width, size, overlap), origins(height, size, overlap)
    return [
        Tile(page, x, y, ox, oy)
        for y, oy in zip(ys, owned(ys, size), strict=True)
        for x, ox in zip(xs, owned(xs, size), strict=True)
    ]


def cut(image: np.ndarray, tile: Tile, size: int) -> np.ndarray:
    """The tile's pixels, padded with white past the page's edge."""
    part = image[tile.y : tile.y + size, tile.x : tile.x + size]
    h, w = part.shape[:2]
    if h == size and w == size:
        return part
    return np.pad(part, ((0, size - h), (0, size - w), (0, 0)), constant_values=255)


def clip(glyphs: list[Glyph], image: np.ndarray) -> list[Glyph]:
    """Boxes cut to the page (a detection may reach into a tile's white padding)."""
    h, w = image.shape[:2]
    for g in glyphs:
        x0, y0, x1, y1 = g.box
        g.box = (max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1))
    return glyphs


BLOCK = 512


def suppress_overlaps(glyphs: list[Glyph], max_overlap: float) -> list[Glyph]:
    """Greedy, best score first: drop a glyph that shares more than ``max_overlap`` of the
    smaller box's area with a glyph already kept. Unlike IoU-based NMS this also catches
    a thin duplicate (an 'l' beside the 'i' it doubles) and a piece inside a whole glyph,
    which IoU lets through because their union is large."""
    if len(glyphs) < 2:
        return glyphs
    boxes = np.array([g.box for g in glyphs], dtype=np.float32)
    sides = np.maximum(boxes[:, 2:] - boxes[:, :2], 1e-6)
    areas = sides[:, 0] * sides[:, 1]
    conflicts: dict[int, list[int]] = {}
    for start in range(0, len(boxes), BLOCK):  # rows in blocks: N x N would not fit pages
        block = boxes[start : start + BLOCK, None]
        w = np.minimum(block[..., 2], boxes[:, 2]) - np.maximum(block[..., 0], boxes[:, 0])
        h = np.minimum(block[..., 3], boxes[:, 3]) - np.maximum(block[..., 1], boxes[:, 1])
        shared = np.clip(w, 0, None) * np.clip(h, 0, None)
        smaller = np.minimum(areas[start : start + BLOCK, None], areas)
        rows, cols = np.nonzero(shared / smaller > max_overlap)
        for row, col in zip(rows + start, cols, strict=True):
            if row != col:
                conflicts.setdefault(int(row), []).append(int(col))
    suppressed = np.zeros(len(glyphs), bool)
    kept: list[int] = []
    for i in np.argsort([-g.score for g in glyphs], kind="stable"):
        if not suppressed[i]:
            kept.append(int(i))
            suppressed[conflicts.get(int(i), [])] = True
    return [glyphs[i] for i in sorted(kept)]


class TiledPageReader(PageReader):
    def __init__(
        self,
        tile_size: int = 256,
        overlap: int = 32,
        min_score: float = 0.3,
        low_confidence: float = 0.5,
        max_overlap: float = 0.5,
        batch_size: int = 8,
        glyph_heights: tuple[float, float] = (0.0, 0.0),
        scale_search: bool = False,
        percentile: float = TALL,
        shape_weight: float = 0.0,
    ):
        if tile_size and not 0 <= overlap < tile_size:
            raise ImagineError(
                f"tile overlap {overlap} must be at least 0 and less than the tile size "
                f"{tile_size}",
                where="ocr.tile_overlap",
            )
        self.tile_size = tile_size
        self.overlap = overlap
        self.min_score = min_score
        self.low_confidence = low_confidence
        self.max_overlap = max_overlap
        self.batch_size = max(1, batch_size)
        self.glyph_heights = glyph_heights
        self.percentile = percentile  # how glyph_heights were measured (scale.glyph_height)
        self.scale_search = scale_search
        self.shape_weight = shape_weight  # consistency.checked: the page's own drawings

    def size_for(self, detector: Detector) -> int:
        """The tile side: configured (0: the model's input size), a multiple of its stride."""
        if detector.fixed_input:
            return detector.input_size
        size = self.tile_size or detector.input_size or 512
        return math.ceil(size / detector.stride) * detector.stride

    def factor(self, detector: Detector, image: np.ndarray) -> float:
        """The scale the page is read at: its glyphs into the trained range, then, with
        ``scale_search``, the factor around that the model is surest at."""
        measured = scale_for(image, *self.glyph_heights, self.percentile)
        if not self.scale_search or not all(self.glyph_heights):
            return measured
        from imagine_plugins.ocr.scale_search import searched_factor

        return searched_factor(detector, image, measured, self.size_for(detector), self.min_score)

    def read(self, detector: Detector, images: list[np.ndarray]) -> list[list[Glyph]]:
        factors = [self.factor(detector, image) for image in images]
        scaled = [
            image if f == 1.0 else resized(image, f)
            for image, f in zip(images, factors, strict=True)
        ]
        found = self._read(detector, scaled)
        for glyphs, factor, image in zip(found, factors, images, strict=True):
            if factor != 1.0:
                for g in glyphs:
                    g.box = tuple(v / factor for v in g.box)
                # the scaled page's side is rounded to whole pixels: scaled back, a box at
                # its edge may reach a fraction of a pixel past the page's own.
                clip(glyphs, image)
        if self.shape_weight:
            from imagine_plugins.ocr.consistency import checked

            found = [
                checked(glyphs, image, self.shape_weight, self.low_confidence)
                for glyphs, image in zip(found, images, strict=True)
            ]
        return found

    def _read(self, detector: Detector, images: list[np.ndarray]) -> list[list[Glyph]]:
        size = self.size_for(detector)
        tiles = [
            t
            for i, image in enumerate(images)
            for t in tiles_of(i, image.shape[0], image.shape[1], size, self.overlap)
        ]
        found: list[list[Glyph]] = [[] for _ in images]
        for start in range(0, len(tiles), self.batch_size):
            batch = tiles[start : start + self.batch_size]
            pixels = np.stack([cut(images[t.page], t, size) for t in batch]).astype(np.float32)
            for tile, detections in zip(batch, detector.detect(pixels), strict=True):
                found[tile.page].extend(self._kept(tile, detections))
        return [
            suppress_overlaps(clip(glyphs, image), self.max_overlap)
            for glyphs, image in zip(found, images, strict=True)
        ]

    def _kept(self, tile: Tile, detections: dict[str, Any]) -> list[Glyph]:
        kept = []
        alternatives = detections.get("alternatives") or [()] * len(detections["labels"])
        for (x0, y0, x1, y1), label, score, others in zip(
            detections["boxes"], detections["labels"], detections["scores"], alternatives,
            strict=True,
        ):  # fmt: skip
            if score < self.min_score:
                continue
            cx, cy = tile.x + (x0 + x1) / 2, tile.y + (y0 + y1) / 2
            if tile.owns_x[0] <= cx < tile.owns_x[1] and tile.owns_y[0] <= cy < tile.owns_y[1]:
                box = (tile.x + x0, tile.y + y0, tile.x + x1, tile.y + y1)
                uncertain = score < self.low_confidence
                kept.append(Glyph(box, label, score, uncertain, tuple(others)))
        return kept
