"""Tiling and merging: every glyph once, in page coordinates, whatever the tile borders.

The detector here is an oracle: the page's pixels encode their own coordinates, so it
knows where each tile lies and answers with the true glyphs the tile sees — clipped at
the tile's edge, as a real detector sees a glyph a border cuts.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from imagine_core.contracts import Detector, Glyph
from imagine_core.errors import ImagineError
from imagine_plugins.ocr.tiling import TiledPageReader, origins, owned, suppress_overlaps


def coded_page(height: int, width: int) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs % 256, ys % 256, (xs // 256) * 16 + ys // 256], -1).astype(np.uint8)


class Oracle(Detector):
    def __init__(self, glyphs, stride=32, input_size=64, score=0.9):
        self.glyphs = glyphs  # (x0, y0, x1, y1, char)
        self.stride, self.input_size, self.score = stride, input_size, score
        self.batches: list[int] = []

    def detect(self, images):
        self.batches.append(len(images))
        found = []
        for tile in images.astype(int):
            r, g, b = tile[0, 0]
            x, y = (b // 16) * 256 + r, (b % 16) * 256 + g
            h, w = tile.shape[:2]
            boxes, labels = [], []
            for x0, y0, x1, y1, ch in self.glyphs:
                cx0, cy0, cx1, cy1 = max(x0, x), max(y0, y), min(x1, x + w), min(y1, y + h)
                if cx1 - cx0 > 1 and cy1 - cy0 > 1:
                    boxes.append((cx0 - x, cy0 - y, cx1 - x, cy1 - y))
                    labels.append(ch)
            found.append({"boxes": boxes, "labels": labels, "scores": [self.score] * len(boxes)})
        return found


def grid_of_glyphs(height: int, width: int, size: int = 14, pitch: int = 19):
    chars = "abcdefghijklmnopqrstuvwxyz"
    return [
        (x, y, x + size, y + size, chars[(x + y) % 26])
        for y in range(3, height - size, pitch)
        for x in range(5, width - size, pitch)
    ]


def test_tiles_cover_the_side_and_overlap():
    assert origins(300, 128, 32) == [0, 96, 172]
    assert origins(100, 128, 32) == [0]
    spans = owned(origins(300, 128, 32), 128)
    assert spans[0][0] == -np.inf and spans[-1][1] == np.inf
    assert all(a[1] == b[0] for a, b in pairwise(spans))


@pytest.mark.parametrize(("height", "width"), [(300, 420), (64, 64), (50, 90), (257, 129)])
def test_every_glyph_is_found_once_in_page_coordinates(height, width):
    glyphs = grid_of_glyphs(height, width)
    oracle = Oracle(glyphs)
    reader = TiledPageReader(tile_size=64, overlap=24, batch_size=5)
    (found,) = reader.read(oracle, [coded_page(height, width)])
    got = sorted((*g.box, g.char) for g in found)
    assert got == sorted((*(float(v) for v in g[:4]), g[4]) for g in glyphs)
    assert max(oracle.batches) <= 5


def test_glyphs_larger_than_the_overlap_still_come_once():
    glyphs = [(50.0, 50.0, 90.0, 90.0, "W")]  # 40 px, overlap 16: cut pieces survive
    reader = TiledPageReader(tile_size=64, overlap=16, max_overlap=0.3)
    (found,) = reader.read(Oracle(glyphs), [coded_page(160, 160)])
    assert [g.char for g in found] == ["W"]


def test_several_pages_at_once_keep_their_own_glyphs():
    a, b = grid_of_glyphs(100, 100), grid_of_glyphs(150, 80)
    pages = [coded_page(100, 100), coded_page(150, 80)]
    reader = TiledPageReader(tile_size=64, overlap=24)
    found = reader.read(Oracle(a), pages[:1]) + reader.read(Oracle(b), pages[1:])
    assert [len(f) for f in found] == [len(a), len(b)]


def test_low_scores_are_dropped_and_middling_ones_marked_uncertain():
    glyphs = grid_of_glyphs(64, 64)
    reader = TiledPageReader(tile_size=64, overlap=16, min_score=0.3, low_confidence=0.5)
    (found,) = reader.read(Oracle(glyphs, score=0.4), [coded_page(64, 64)])
    assert found and all(g.uncertain for g in found)
    (none,) = reader.read(Oracle(glyphs, score=0.2), [coded_page(64, 64)])
    assert none == []


def test_tile_size_defaults_to_the_models_and_fits_its_stride():
    reader = TiledPageReader(tile_size=0)
    assert reader.size_for(Oracle([], stride=32, input_size=256)) == 256
    assert TiledPageReader(tile_size=100).size_for(Oracle([], stride=32)) == 128


def test_an_overlap_as_big_as_the_tile_is_refused():
    with pytest.raises(ImagineError, match="overlap"):
        TiledPageReader(tile_size=64, overlap=64)


def test_a_thin_double_inside_a_better_glyph_is_dropped_neighbours_stay():
    i = Glyph((10.0, 0.0, 14.0, 20.0), "i", 0.9)
    double = Glyph((11.0, 2.0, 13.0, 20.0), "l", 0.4)  # IoU 0.45, but 100% inside the 'i'
    neighbour = Glyph((15.0, 0.0, 25.0, 20.0), "n", 0.8)  # touches the 'i', shares nothing
    kerned = Glyph((23.0, 0.0, 33.0, 20.0), "o", 0.7)  # shares 20% of its box with the 'n'
    kept = suppress_overlaps([double, i, neighbour, kerned], 0.5)
    assert [g.char for g in kept] == ["i", "n", "o"]
