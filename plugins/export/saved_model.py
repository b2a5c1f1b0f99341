"""The SavedModel exporter, laid out as the TF Object Detection API's ``exporter_lib_v2``
lays out its models, so existing TF OD code loads it unchanged::

    detect_fn = tf.saved_model.load(path)
    detections = detect_fn(input_tensor)  # whole pages of any size

``serving_default`` (and the module's ``__call__``) takes ``input_tensor`` as
``export.input_type`` says — ``image_tensor`` (uint8, N x H x W x 3),
``float_image_tensor`` (float32, 0..255), ``encoded_image_string_tensor`` (PNG/JPEG bytes,
N) or ``tf_example`` (serialized tf.train.Example with ``image/encoded``, N) — reads each
page as ``imagine ocr`` does (tiles, merged inside the graph: ``page_graph``) and returns
``detection_boxes`` (normalised ymin, xmin, ymax, xmax), ``detection_classes`` (label-map
ids, float32), ``detection_scores``, ``num_detections`` (float32), ``raw_detection_boxes``
and ``raw_detection_scores`` (every tile's detections before the merge) and
``detection_multiclass_scores``. The models keep only each detection's best class, so the
per-class score arrays hold that score at its class (and 1 - score as background).

A second signature, ``tiles``, takes uint8 tiles of exactly ``input_size`` and returns
pixel boxes: ``imagine ocr --model EXPORT`` reads through it (rescaling pages to the
model's glyph size first). ``assets/`` holds ``label_map.pbtxt`` and the run's
``pipeline.config``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagine_core.api import Exporter, ImagineError
from imagine_plugins.export.page_graph import Tiling, read_page
from imagine_plugins.export.staging import prepare, staged

INPUT_TYPES = ("image_tensor", "float_image_tensor", "encoded_image_string_tensor", "tf_example")


def input_spec(input_type: str) -> Any:
    import tensorflow as tf

    specs = {
        "image_tensor": tf.TensorSpec([None, None, None, 3], tf.uint8, "input_tensor"),
        "float_image_tensor": tf.TensorSpec([None, None, None, 3], tf.float32, "input_tensor"),
        "encoded_image_string_tensor": tf.TensorSpec([None], tf.string, "input_tensor"),
        "tf_example": tf.TensorSpec([None], tf.string, "input_tensor"),
    }
    if input_type not in specs:
        raise ImagineError(
            f"unknown input type {input_type!r}",
            where="export.input_type",
            fix=f"use one of {', '.join(INPUT_TYPES)}",
        )
    return specs[input_type]


def decoded(element: Any, input_type: str) -> Any:
    """One page of the input batch as float32 H x W x 3."""
    import tensorflow as tf

    if input_type == "tf_example":
        features = {"image/encoded": tf.io.FixedLenFeature([], tf.string)}
        element = tf.io.parse_single_example(element, features)["image/encoded"]
    if input_type in ("tf_example", "encoded_image_string_tensor"):
        element = tf.io.decode_image(element, channels=3, expand_animations=False)
    return tf.cast(element, tf.float32)


def _one_hot_scores(classes: Any, scores: Any, num_classes: int, background: bool) -> Any:
    import tensorflow as tf

    hot = tf.one_hot(classes, num_classes) * scores[:, None]
    if background:
        hot = tf.concat([(1.0 - scores)[:, None], hot], 1)
    return hot


def page_outputs(model: Any, page: Any, tiling: Tiling, num_classes: int) -> dict[str, Any]:
    """The TF OD API's outputs for one page (no batch axis)."""
    import tensorflow as tf

    found = read_page(model, page, tiling)
    shape = tf.cast(tf.shape(page)[:2], tf.float32)
    scale = tf.concat([shape, shape], 0)
    return {
        "detection_boxes": found["boxes"] / scale,
        "detection_scores": found["scores"],
        "detection_classes": tf.cast(found["classes"] + 1, tf.float32),
        "detection_multiclass_scores": _one_hot_scores(
            found["classes"], found["scores"], num_classes, background=True
        ),
        "raw_detection_boxes": found["raw_boxes"] / scale,
        "raw_detection_scores": _one_hot_scores(
            found["raw_classes"], found["raw_scores"], num_classes, background=False
        ),
    }


def pages_function(model: Any, tiling: Tiling, num_classes: int, input_type: str) -> Any:
    """The batch function: each page read on its own, outputs padded to the longest."""
    import tensorflow as tf

    widths = {
        "detection_boxes": [None, 4],
        "detection_scores": [None],
        "detection_classes": [None],
        "detection_multiclass_scores": [None, num_classes + 1],
        "raw_detection_boxes": [None, 4],
        "raw_detection_scores": [None, num_classes],
    }
    signature = {
        key: tf.RaggedTensorSpec(shape, tf.float32, ragged_rank=0) for key, shape in widths.items()
    }

    def run(input_tensor):
        outputs = tf.map_fn(
            lambda element: page_outputs(model, decoded(element, input_type), tiling, num_classes),
            input_tensor,
            fn_output_signature=signature,
        )
        result = {key: value.to_tensor() for key, value in outputs.items()}
        result["num_detections"] = tf.cast(outputs["detection_scores"].row_lengths(), tf.float32)
        return result

    return run


def classes_of(pipeline: Any, label_map: Any) -> int:
    """The model's number of classes (it may exceed the label map's)."""
    chosen = pipeline.model.WhichOneof("model")
    declared = getattr(getattr(pipeline.model, chosen), "num_classes", 0) if chosen else 0
    return max(declared, len(label_map), 1)


class SavedModelExporter(Exporter):
    def __init__(self, settings: Any):
        self.settings = settings

    def export(self, pipeline: Any, checkpoint: Path, out_dir: Path) -> Path:
        import tensorflow as tf

        spec = input_spec(self.settings.input_type)
        model, label_map, size = prepare(self.settings, checkpoint, pipeline)
        limit = self.settings.max_detections
        ocr = pipeline.ocr
        tiling = Tiling(size, min(ocr.tile_overlap, size - 1), ocr.min_score, ocr.max_overlap)
        num_classes = classes_of(pipeline, label_map)
        run = pages_function(model, tiling, num_classes, self.settings.input_type)

        class DetectionModule(tf.Module):
            @tf.function(input_signature=[spec])
            def __call__(self, input_tensor):
                return run(input_tensor)

        module = DetectionModule()
        module.items = model.checkpoint_items()
        module.input_size = tf.Variable(size, trainable=False, name="input_size")
        module.stride = tf.Variable(model.stride(), trainable=False, name="stride")

        @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.uint8, "images")])
        def tiles(images):
            found = model.detect(tf.cast(images, tf.float32))
            return {
                "detection_boxes": found["detection_boxes"][:, :limit],
                "detection_scores": found["detection_scores"][:, :limit],
                "detection_classes": found["detection_classes"][:, :limit],
                "num_detections": tf.minimum(found["num_detections"], limit),
            }

        signatures = {"serving_default": module.__call__, "tiles": tiles}
        with staged(out_dir, label_map, pipeline) as folder:
            tf.saved_model.save(module, str(folder), signatures=signatures)
        return out_dir
