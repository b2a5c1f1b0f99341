"""Whole pages read inside the TensorFlow graph, as ``imagine ocr``'s tiled page reader
reads them (``plugins/ocr/tiling.py``): overlapping tiles of the model's input size, each
keeping the detections whose centre lies in the part of the page it owns, boxes cut to the
page, then, best score first, a glyph dropped when it shares more than ``max_overlap`` of
the smaller box with one kept. So an exported SavedModel takes pages of any size, as the
TF Object Detection API's exported models do, and finds what ``imagine ocr`` finds on a
page at the scale the model was trained at (the exported graph does not rescale pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tiling:
    size: int  # tile side, the model's input size
    overlap: int
    min_score: float  # below it a detection takes no part in the merge (ocr.min_score)
    max_overlap: float  # ocr.max_overlap
    batch: int = 8  # tiles per detector call


def _starts(length: Any, tiling: Tiling) -> Any:
    """Tile origins along one side: ``size - overlap`` apart, the last flush with the end."""
    import tensorflow as tf

    size, step = tiling.size, tiling.size - tiling.overlap
    count = tf.maximum(1, -(-(length - tiling.overlap) // step))  # ceil
    starts = tf.minimum(tf.range(count) * step, tf.maximum(length - size, 0))
    return tf.unique(starts).y


def _owned(starts: Any, size: int) -> tuple[Any, Any]:
    """What each tile owns along one side: up to the middle of each overlap."""
    import tensorflow as tf

    starts = tf.cast(starts, tf.float32)
    middles = (starts[1:] + starts[:-1] + size) / 2
    inf = tf.constant([float("inf")])
    return tf.concat([-inf, middles], 0), tf.concat([middles, inf], 0)


def _grid(height: Any, width: Any, tiling: Tiling) -> tuple[Any, Any, Any]:
    """Every tile's origin [T, 2] (y, x) and owned box [T, 4] (y0, x0, y1, x1)."""
    import tensorflow as tf

    ys, xs = _starts(height, tiling), _starts(width, tiling)
    (y_lo, y_hi), (x_lo, x_hi) = _owned(ys, tiling.size), _owned(xs, tiling.size)
    iy, ix = tf.meshgrid(tf.range(tf.size(ys)), tf.range(tf.size(xs)), indexing="ij")
    iy, ix = tf.reshape(iy, [-1]), tf.reshape(ix, [-1])
    origins = tf.stack([tf.gather(ys, iy), tf.gather(xs, ix)], 1)
    owned = tf.stack(
        [tf.gather(y_lo, iy), tf.gather(x_lo, ix), tf.gather(y_hi, iy), tf.gather(x_hi, ix)], 1
    )
    return origins, owned, tf.shape(origins)[0]


def _tile_detections(model: Any, page: Any, origins: Any, count: Any, tiling: Tiling) -> dict:
    """The model's detections on every tile, in batches, boxes in page pixels."""
    import tensorflow as tf

    size, batch = tiling.size, tiling.batch
    padded = tf.pad(origins, [[0, (-count) % batch], [0, 0]])  # extra tiles are dropped below

    def cut(origin):
        return tf.slice(page, [origin[0], origin[1], 0], [size, size, 3])

    tiles = tf.map_fn(cut, padded, fn_output_signature=tf.TensorSpec([size, size, 3], tf.float32))
    chunks = tf.reshape(tiles, [-1, batch, size, size, 3])

    def detect(chunk):
        found = model.detect(chunk)
        return (
            found["detection_boxes"],
            found["detection_scores"],
            found["detection_classes"],
            found["num_detections"],
        )

    boxes, scores, classes, num = tf.map_fn(
        detect, chunks, fn_output_signature=(tf.float32, tf.float32, tf.int32, tf.int32)
    )
    per_tile = tf.shape(boxes)[2]
    boxes = tf.reshape(boxes, [-1, per_tile, 4])[:count]
    shift = tf.cast(tf.tile(origins, [1, 2]), tf.float32)[:, None, :]
    return {
        "boxes": boxes + shift,
        "scores": tf.reshape(scores, [-1, per_tile])[:count],
        "classes": tf.reshape(classes, [-1, per_tile])[:count],
        "valid": tf.range(per_tile)[None, :] < tf.reshape(num, [-1])[:count, None],
    }


def _suppress(boxes: Any, scores: Any, max_overlap: float) -> Any:
    """Indices kept, best first: greedy over the share of the smaller box's area."""
    import tensorflow as tf

    y0, x0, y1, x1 = tf.unstack(boxes, axis=1)
    areas = tf.maximum(y1 - y0, 1e-6) * tf.maximum(x1 - x0, 1e-6)
    h = tf.minimum(y1[:, None], y1[None]) - tf.maximum(y0[:, None], y0[None])
    w = tf.minimum(x1[:, None], x1[None]) - tf.maximum(x0[:, None], x0[None])
    shared = tf.maximum(h, 0.0) * tf.maximum(w, 0.0)
    overlaps = shared / tf.minimum(areas[:, None], areas[None])
    return tf.image.non_max_suppression_overlaps(
        overlaps, scores, tf.size(scores), overlap_threshold=max_overlap
    )


def read_page(model: Any, page: Any, tiling: Tiling) -> dict[str, Any]:
    """One page (H x W x 3, float 0..255): its glyphs, best first, boxes in page pixels
    (ymin, xmin, ymax, xmax), 0-based classes; and every tile's raw detections."""
    import tensorflow as tf

    height, width = tf.shape(page)[0], tf.shape(page)[1]
    padded = tf.pad(
        page,
        [[0, tf.maximum(tiling.size - height, 0)], [0, tf.maximum(tiling.size - width, 0)], [0, 0]],
        constant_values=255.0,
    )
    origins, owned, count = _grid(height, width, tiling)
    found = _tile_detections(model, padded, origins, count, tiling)
    boxes, scores, classes = found["boxes"], found["scores"], found["classes"]
    centre_y = (boxes[..., 0] + boxes[..., 2]) / 2
    centre_x = (boxes[..., 1] + boxes[..., 3]) / 2
    mine = (
        (owned[:, None, 0] <= centre_y)
        & (centre_y < owned[:, None, 2])
        & (owned[:, None, 1] <= centre_x)
        & (centre_x < owned[:, None, 3])
    )
    raw = tf.boolean_mask(boxes, found["valid"]), tf.boolean_mask(scores, found["valid"])
    raw_classes = tf.boolean_mask(classes, found["valid"])
    keep = found["valid"] & mine & (scores >= tiling.min_score)
    limit = tf.cast(tf.stack([height, width, height, width]), tf.float32)
    kept_boxes = tf.clip_by_value(tf.boolean_mask(boxes, keep), 0.0, limit)
    kept_scores, kept_classes = tf.boolean_mask(scores, keep), tf.boolean_mask(classes, keep)
    order = _suppress(kept_boxes, kept_scores, tiling.max_overlap)
    return {
        "boxes": tf.gather(kept_boxes, order),
        "scores": tf.gather(kept_scores, order),
        "classes": tf.gather(kept_classes, order),
        "raw_boxes": tf.clip_by_value(raw[0], 0.0, limit),
        "raw_scores": raw[1],
        "raw_classes": raw_classes,
    }
