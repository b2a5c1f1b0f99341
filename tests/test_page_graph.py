"""The SavedModel's in-graph page reading finds what `imagine ocr`'s tiled page reader
finds, on pages of many tiles, with a stand-in model whose detections are known."""

from __future__ import annotations

import numpy as np
import pytest

from imagine_core.api import Detector
from imagine_plugins.export.page_graph import Tiling, read_page
from imagine_plugins.ocr.tiling import TiledPageReader

SIZE = 64


class StandIn:
    """Per tile: glyph-like boxes where the tile is dark (so neighbouring tiles see the
    same glyph at shifted places), plus a faint box in the corner of every tile."""

    def stride(self) -> int:
        return 1

    def detect(self, tiles):
        import tensorflow as tf

        dark = tf.reduce_mean(tiles, -1) < 128  # [B, S, S]
        rows = tf.reduce_any(dark, 2)
        cols = tf.reduce_any(dark, 1)
        first_row = tf.argmax(tf.cast(rows, tf.int32), 1)
        first_col = tf.argmax(tf.cast(cols, tf.int32), 1)
        any_dark = tf.reduce_any(rows, 1)
        y0, x0 = tf.cast(first_row, tf.float32), tf.cast(first_col, tf.float32)
        glyph = tf.stack([y0, x0, y0 + 12.0, x0 + 8.0], 1)
        faint = tf.tile([[1.0, 1.0, 6.0, 6.0]], [tf.shape(tiles)[0], 1])
        boxes = tf.stack([glyph, faint], 1)
        score = tf.where(any_dark, 0.9, 0.0) - tf.cast(first_col, tf.float32) / 1000
        scores = tf.stack([score, tf.fill(tf.shape(score), 0.05)], 1)
        classes = tf.stack(
            [tf.cast(first_col % 3, tf.int32), tf.zeros_like(first_row, tf.int32)], 1
        )
        count = tf.where(any_dark, 2, 1)
        order = tf.argsort(scores, direction="DESCENDING", stable=True)
        return {
            "detection_boxes": tf.gather(boxes, order, batch_dims=1),
            "detection_scores": tf.gather(scores, order, batch_dims=1),
            "detection_classes": tf.gather(classes, order, batch_dims=1),
            "num_detections": tf.cast(count, tf.int32),
        }


class AsDetector(Detector):
    """The stand-in behind imagine ocr's Detector contract (pixel xyxy, characters)."""

    stride = 1
    input_size = SIZE
    fixed_input = True

    def __init__(self, model):
        self.model = model

    def detect(self, images):
        import tensorflow as tf

        found = self.model.detect(tf.constant(images, tf.float32))
        pages = []
        for i, n in enumerate(found["num_detections"].numpy()):
            boxes = found["detection_boxes"][i][:n].numpy()
            pages.append(
                {
                    "boxes": [(b[1], b[0], b[3], b[2]) for b in boxes],
                    "labels": [str(c) for c in found["detection_classes"][i][:n].numpy()],
                    "scores": found["detection_scores"][i][:n].numpy().tolist(),
                }
            )
        return pages


def page_with_glyphs(height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    page = np.full((height, width, 3), 255, np.uint8)
    for _ in range(12):
        y, x = rng.integers(0, height - 12), rng.integers(0, width - 8)
        page[y : y + 12, x : x + 8] = 0
    return page


def in_graph(page: np.ndarray, tiling: Tiling) -> list[tuple]:
    import tensorflow as tf

    found = read_page(StandIn(), tf.constant(page, tf.float32), tiling)
    return sorted(
        (str(c), round(float(s), 4), *(round(float(b[i]), 2) for i in (1, 0, 3, 2)))
        for b, s, c in zip(
            found["boxes"].numpy(), found["scores"].numpy(), found["classes"].numpy(), strict=True
        )
    )


def as_imagine_ocr_reads(page: np.ndarray, tiling: Tiling) -> list[tuple]:
    reader = TiledPageReader(SIZE, tiling.overlap, tiling.min_score, 0.5, tiling.max_overlap)
    (glyphs,) = reader.read(AsDetector(StandIn()), [page])
    return sorted((g.char, round(g.score, 4), *(round(v, 2) for v in g.box)) for g in glyphs)


@pytest.mark.parametrize(
    ("height", "width", "overlap", "min_score"),
    [(200, 300, 16, 0.3), (150, 97, 40, 0.0), (40, 50, 16, 0.3), (64, 64, 0, 0.3)],
)
def test_pages_read_in_the_graph_as_imagine_ocr_reads_them(height, width, overlap, min_score):
    tiling = Tiling(SIZE, overlap, min_score, 0.5, batch=3)
    page = page_with_glyphs(height, width, seed=height + width)
    ours = in_graph(page, tiling)
    assert ours == as_imagine_ocr_reads(page, tiling)
    assert ours  # the dark glyphs were found


def test_a_page_with_nothing_above_the_floor_reads_as_empty():
    import tensorflow as tf

    blank = np.full((100, 130, 3), 255, np.uint8)
    found = read_page(StandIn(), tf.constant(blank, tf.float32), Tiling(SIZE, 16, 0.3, 0.5))
    assert found["boxes"].shape == (0, 4) and found["scores"].shape == (0,)
    assert found["raw_boxes"].shape[0] > 0  # the faint boxes, before the merge
