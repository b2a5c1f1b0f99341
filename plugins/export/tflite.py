"""The TensorFlow Lite exporter (one-stage ``ssd`` models).

Layout: ``model.tflite`` takes one uint8 tile ``[1, S, S, 3]`` (``images``) and returns
``detection_boxes`` (pixels: ymin, xmin, ymax, xmax), ``detection_scores``,
``detection_classes`` (label id - 1; -1 pads) and ``num_detections``; ``assets/``
holds ``label_map.pbtxt`` and the run's ``pipeline.config``, as the SavedModel's does.
Only TFLite builtin ops: every anchor's box is decoded in the graph and one
class-agnostic NMS (``NON_MAX_SUPPRESSION_V4``) keeps a glyph per place — Model
Garden's batched NMS would need the Flex delegate, which TensorFlow's Python
interpreter does not link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagine_core.contracts import Exporter
from imagine_core.errors import ImagineError
from imagine_plugins.export.staging import prepare, staged

FILE = "model.tflite"


def serving_function(model: Any, size: int, limit: int, nms: Any) -> Any:
    """A batch-1 tf.function: uint8 tile -> the best ``limit`` glyphs after NMS."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, size, size, 3], tf.uint8, "images")])
    def serve(images):
        boxes, scores = model.dense_detections(tf.cast(images, tf.float32))
        boxes = tf.clip_by_value(boxes[0], 0.0, float(size))
        best, classes = tf.reduce_max(scores[0], -1), tf.argmax(scores[0], -1, tf.int32)
        keep, count = tf.raw_ops.NonMaxSuppressionV4(
            boxes=boxes,
            scores=best,
            max_output_size=limit,
            iou_threshold=nms.iou_threshold,
            score_threshold=max(nms.score_threshold, 1e-8),
            pad_to_max_output_size=True,
        )
        valid = tf.range(limit) < count
        return {
            "detection_boxes": tf.where(valid[:, None], tf.gather(boxes, keep), 0.0)[None],
            "detection_scores": tf.where(valid, tf.gather(best, keep), 0.0)[None],
            "detection_classes": tf.where(valid, tf.gather(classes, keep), -1)[None],
            "num_detections": count[None],
        }

    return serve


class TfliteExporter(Exporter):
    def __init__(self, settings: Any):
        self.settings = settings

    def export(self, pipeline: Any, checkpoint: Path, out_dir: Path) -> Path:
        import tensorflow as tf

        model, label_map, size = prepare(self.settings, checkpoint, pipeline)
        if not hasattr(model, "dense_detections"):
            kind = pipeline.model.WhichOneof("model")
            raise ImagineError(
                f"the tflite exporter needs a one-stage model; this run's is {kind}",
                where="export.type",
                fix="export it with --type saved_model (TFLite takes the ssd models)",
            )
        nms = getattr(pipeline.model, pipeline.model.WhichOneof("model")).post_processing
        serve = serving_function(
            model, size, self.settings.max_detections, nms.batch_non_max_suppression
        )
        module = tf.Module()
        module.items = model.checkpoint_items()
        converter = tf.lite.TFLiteConverter.from_concrete_functions(
            [serve.get_concrete_function()], module
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        flatbuffer = converter.convert()
        with staged(out_dir, label_map, pipeline) as folder:
            (folder / FILE).write_bytes(flatbuffer)
        return out_dir
