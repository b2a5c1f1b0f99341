"""The TensorFlow Lite exporter (one-stage ``ssd`` models).

Layout: ``model.tflite`` takes one uint8 tile ``[1, S, S, 3]`` (``images``) and returns,
in the order and types of the TF OD API's ``TFLite_Detection_PostProcess`` (what Android,
iOS and Coral sample code reads by position): ``detection_boxes`` [1, N, 4] float32
normalised (ymin, xmin, ymax, xmax), ``detection_classes`` [1, N] float32 (0-based: label
id - 1), ``detection_scores`` [1, N] float32 and ``num_detections`` [1] float32, N =
``export.max_detections``. ``export.quantize``: ``dynamic`` (int8 weights), ``float16``,
or ``int8`` (weights and activations, calibrated on tiles cut from the run's training
pages). ``assets/`` holds ``label_map.pbtxt`` and the run's ``pipeline.config``.
Only TFLite builtin ops: every anchor's box is decoded in the graph and one
class-agnostic NMS (``NON_MAX_SUPPRESSION_V4``) keeps a glyph per place — Model
Garden's batched NMS would need the Flex delegate, which TensorFlow's Python
interpreter does not link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagine_core.api import Exporter, ImagineError
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
        kept = tf.where(valid[:, None], tf.gather(boxes, keep), 0.0) / float(size)
        ids = tf.where(valid, tf.gather(classes, keep), 0)[None]
        # Counts and class ids are cast to float last, so int8 quantization never rounds
        # them (in_postprocess_order puts the outputs in place).
        return {
            "detection_boxes": kept[None],
            "detection_classes": tf.cast(ids, tf.float32),
            "detection_scores": tf.where(valid, tf.gather(best, keep), 0.0)[None],
            "num_detections": tf.cast(count[None], tf.float32),
        }

    return serve


QUANTIZE = ("none", "dynamic", "float16", "int8")
# The outputs' positions in the TF OD API's TFLite_Detection_PostProcess.
POSTPROCESS_ORDER = ("detection_boxes", "detection_classes", "detection_scores", "num_detections")


def in_postprocess_order(flatbuffer: bytes) -> bytes:
    """The converter places the outputs in an order of its own; code that reads them by
    position expects POSTPROCESS_ORDER. Reorder the graph's outputs (the signature keeps
    naming each) with TensorFlow's flatbuffer tools."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    (signature,) = model.signatureDefs
    index = {out.name.decode(): out.tensorIndex for out in signature.outputs}
    model.subgraphs[signature.subgraphIndex].outputs = [index[name] for name in POSTPROCESS_ORDER]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


CALIBRATION_TILES = 32


def quantize(converter: Any, how: str, tiles: Any) -> None:
    """Set the converter up for ``export.quantize``."""
    import tensorflow as tf

    if how not in QUANTIZE:
        raise ImagineError(
            f"unknown quantization {how!r}",
            where="export.quantize",
            fix=f"use one of {', '.join(QUANTIZE)}",
        )
    if how == "none":
        return
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if how == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif how == "int8":
        calibration = tiles()
        converter.representative_dataset = lambda: ([tile[None]] for tile in calibration)
        # int8 kernels where they exist; the NMS stays in float.
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
            tf.lite.OpsSet.TFLITE_BUILTINS,
        ]


def training_tiles(pipeline: Any, size: int, count: int = CALIBRATION_TILES) -> list[Any]:
    """Tiles cut at random (seeded) from the run's training pages: what int8 calibration
    should see."""
    import io

    import numpy as np
    from PIL import Image

    from imagine_core.api import build

    rng = np.random.default_rng(0)
    pages = []
    for example in build(pipeline.train_input_reader, pipeline).read():
        with Image.open(io.BytesIO(example.image_bytes())) as img:
            pages.append(np.asarray(img.convert("RGB")))
        if len(pages) >= count:
            break
    if not pages:
        raise ImagineError(
            "int8 quantization needs the run's training pages, and none could be read",
            where="train_input_reader",
            fix="make the training data readable again, or --quantize dynamic",
        )
    tiles = []
    for i in range(count):
        page = pages[i % len(pages)]
        padded = np.pad(
            page,
            ((0, max(0, size - page.shape[0])), (0, max(0, size - page.shape[1])), (0, 0)),
            constant_values=255,
        )
        y = int(rng.integers(0, padded.shape[0] - size + 1))
        x = int(rng.integers(0, padded.shape[1] - size + 1))
        tiles.append(padded[y : y + size, x : x + size].astype(np.uint8))
    return tiles


class TfliteExporter(Exporter):
    def __init__(self, settings: Any):
        self.settings = settings

    def export(self, pipeline: Any, checkpoint: Path, out_dir: Path) -> Path:
        import tensorflow as tf

        if self.settings.input_type != "image_tensor":
            raise ImagineError(
                f"the tflite exporter takes uint8 tiles only, not {self.settings.input_type!r}",
                where="export.input_type",
                fix="export.input_type=image_tensor (or --type saved_model for other inputs)",
            )
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
        quantize(converter, self.settings.quantize, lambda: training_tiles(pipeline, size))
        flatbuffer = in_postprocess_order(converter.convert())
        with staged(out_dir, label_map, pipeline) as folder:
            (folder / FILE).write_bytes(flatbuffer)
        return out_dir
