"""What both meta-architectures do to Model Garden's detections before handing them on."""

from __future__ import annotations

from typing import Any

from imagine_core.api import MetaArchitecture

# ImageNet statistics, as Model Garden normalises its inputs.
MEAN_RGB = (0.485 * 255, 0.456 * 255, 0.406 * 255)
STDDEV_RGB = (0.229 * 255, 0.224 * 255, 0.225 * 255)


def normalised(images: Any) -> tuple[Any, Any]:
    """A batch of 0-255 images as Model Garden's backbones expect them, and their shapes."""
    import tensorflow as tf

    shapes = tf.shape(images)[1:3]
    scaled = (images - tf.constant(MEAN_RGB)) / tf.constant(STDDEV_RGB)
    return scaled, tf.tile(shapes[None], [tf.shape(images)[0], 1])


ALTERNATIVES = 3  # classes kept per place: the chosen one and the next best


def _alternatives(kept: Any, boxes: Any, scores: Any, classes: Any, iou: float) -> Any:
    """For each kept box, the best ``ALTERNATIVES`` (class, score) among the per-class
    detections at its place (IoU at least the NMS threshold): the kept one first, then
    what the class-agnostic NMS set aside there (classes -1 and scores 0 where fewer)."""
    import tensorflow as tf
    from official.vision.ops import box_ops

    here = box_ops.bbox_overlap(kept[None], boxes[None])[0] >= iou
    ranked = tf.where(here, scores[None, :], -1.0)
    k = tf.minimum(ALTERNATIVES, tf.shape(scores)[0])
    best, index = tf.math.top_k(ranked, k)
    pad = [[0, 0], [0, ALTERNATIVES - k]]
    found = best >= 0
    alt_classes = tf.pad(tf.where(found, tf.gather(classes, index), -1), pad, constant_values=-1)
    alt_scores = tf.pad(tf.where(found, best, 0.0), pad)
    return alt_classes, alt_scores


def to_contract(predictions: dict[str, Any], nms: Any) -> dict[str, Any]:
    """Detections: boxes in pixels (ymin, xmin, ymax, xmax), scores, 0-based classes.

    With ``use_class_agnostic_nms`` (the glyph models set it) a second NMS across
    classes keeps one detection per place: a glyph is one character, and per-class
    NMS would keep an 'o' and an 'e' on the same spot. What it sets aside at each place
    is kept as the glyph's alternatives (``detection_alternative_classes`` and
    ``…_scores``, [batch, detections, ALTERNATIVES], the chosen class first): a
    look-alike of another script, the other case, the letter a word list would choose.
    """
    import tensorflow as tf

    boxes = tf.cast(predictions["detection_boxes"], tf.float32)
    scores = tf.cast(predictions["detection_scores"], tf.float32)
    classes = tf.cast(predictions["detection_classes"], tf.int32) - 1  # drop background
    count = predictions["num_detections"]
    found = {}
    if nms.use_class_agnostic_nms:
        limit = tf.shape(boxes)[1]

        def one(args):
            b, s, c, n = args
            keep = tf.image.non_max_suppression(b[:n], s[:n], limit, nms.iou_threshold)
            kept = tf.shape(keep)[0]
            pad = limit - kept
            alt_classes, alt_scores = _alternatives(
                tf.gather(b, keep), b[:n], s[:n], c[:n], nms.iou_threshold
            )
            return (
                tf.pad(tf.gather(b, keep), [[0, pad], [0, 0]]),
                tf.pad(tf.gather(s, keep), [[0, pad]]),
                tf.pad(tf.gather(c, keep), [[0, pad]], constant_values=-1),
                kept,
                tf.pad(alt_classes, [[0, pad], [0, 0]], constant_values=-1),
                tf.pad(alt_scores, [[0, pad], [0, 0]]),
            )

        boxes, scores, classes, count, alt_classes, alt_scores = tf.map_fn(
            one,
            (boxes, scores, classes, count),
            fn_output_signature=(tf.float32, tf.float32, tf.int32, tf.int32, tf.int32, tf.float32),
        )
        found = {
            "detection_alternative_classes": alt_classes,
            "detection_alternative_scores": alt_scores,
        }
    return {
        "detection_boxes": boxes,
        "detection_scores": scores,
        "detection_classes": classes,
        "num_detections": count,
        **found,
    }


def as_float32(predictions: Any) -> Any:
    """Predictions of a mixed-precision model (16-bit floats) in float32, for the losses."""
    import tensorflow as tf

    def cast(value):
        floating = isinstance(value, tf.Tensor) and value.dtype.is_floating
        return tf.cast(value, tf.float32) if floating else value

    return tf.nest.map_structure(cast, predictions)


def pixel_boxes(example: dict[str, Any]) -> Any:
    """An example's ground-truth boxes in pixels of its image, padding rows dropped.

    Boxes are normalised to the true image (before a resizer pads it), as in the TF OD API.
    """
    import tensorflow as tf

    count = example["num_groundtruth_boxes"]
    true = tf.cast(example["true_image_shape"][:2], tf.float32)
    scale = tf.concat([true, true], 0)
    return example["groundtruth_boxes"][:count] * scale


class KerasDetector(MetaArchitecture):
    """What both bundled meta-architectures share: one Model Garden Keras model
    (``self.model``) whose weights are trained, checkpointed and regularized."""

    model: Any

    @property
    def trainable_variables(self) -> list[Any]:
        return self.model.trainable_variables

    def checkpoint_items(self) -> dict[str, Any]:
        return {"model": self.model}

    def regularization_losses(self) -> list[Any]:
        return self.model.losses

    def preprocess(self, images):
        return normalised(images)

    def freeze_batchnorm(self) -> None:
        """Every batch-norm layer at its moving statistics (a frozen tf_keras
        BatchNormalization also normalises with them), as the TF OD API fine-tunes."""
        import tf_keras

        for layer in self.model.submodules:
            if isinstance(layer, tf_keras.layers.BatchNormalization):
                layer.trainable = False

    def detect(self, images):
        """Detections on a batch of images whose sides are multiples of :meth:`stride`."""
        prepared, shapes = self.preprocess(images)
        return self.postprocess(self.predict(prepared, shapes, training=False), shapes)
