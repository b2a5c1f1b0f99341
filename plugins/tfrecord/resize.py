"""Image resizers (``model.*.image_resizer``): fixed shape, keep aspect ratio (padded), identity."""

from __future__ import annotations

from typing import Any

from imagine_core.api import ImageResizer

_METHODS = {0: "bilinear", 1: "nearest", 2: "bicubic", 3: "area"}


class FixedShapeResizer(ImageResizer):
    def __init__(self, config: Any):
        self.config = config

    def static_shape(self) -> tuple[int, int]:
        return self.config.height, self.config.width

    def __call__(self, image):
        import tensorflow as tf

        c = self.config
        resized = tf.image.resize(image, [c.height, c.width], method=_METHODS[c.resize_method])
        if c.convert_to_grayscale:
            resized = tf.image.rgb_to_grayscale(resized)
        return resized, tf.constant([c.height, c.width, 3 if not c.convert_to_grayscale else 1])


class KeepAspectRatioResizer(ImageResizer):
    """The shorter side to min_dimension unless the longer would pass max_dimension;
    with pad_to_max_dimension the result is padded to a max x max square (static shape)."""

    def __init__(self, config: Any):
        self.config = config

    def static_shape(self) -> tuple[int, int] | None:
        c = self.config
        return (c.max_dimension, c.max_dimension) if c.pad_to_max_dimension else None

    def __call__(self, image):
        import tensorflow as tf

        c = self.config
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        scale = tf.minimum(
            c.min_dimension / tf.reduce_min(shape), c.max_dimension / tf.reduce_max(shape)
        )
        size = tf.cast(tf.round(shape * scale), tf.int32)
        resized = tf.image.resize(image, size, method=_METHODS[c.resize_method])
        true_shape = tf.concat([size, [3]], 0)
        if c.pad_to_max_dimension:
            resized = tf.image.pad_to_bounding_box(resized, 0, 0, c.max_dimension, c.max_dimension)
            resized = tf.ensure_shape(resized, [c.max_dimension, c.max_dimension, None])
        return resized, true_shape


class IdentityResizer(ImageResizer):
    def __init__(self, config: Any = None):
        self.config = config

    def static_shape(self) -> None:
        return None

    def __call__(self, image):
        import tensorflow as tf

        return image, tf.shape(image)


RESIZERS = {
    "fixed_shape_resizer": FixedShapeResizer,
    "keep_aspect_ratio_resizer": KeepAspectRatioResizer,
    "identity_resizer": IdentityResizer,
}
