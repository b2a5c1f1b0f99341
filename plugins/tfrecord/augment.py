"""Text-safe data augmentation steps (``train_config.data_augmentation_options``).

Each step takes ``image`` (float32, [H, W, 3], 0..255), ``boxes`` (float32,
[N, 4], normalised ymin, xmin, ymax, xmax) and ``labels`` ([N]) and returns them
changed. Steps that move pixels move the boxes; crops keep a glyph cut by the
border only when enough of it is inside. Flips are accepted with a warning: a
mirrored glyph is another character.
"""

from __future__ import annotations

from typing import Any

from imagine_core.api import Augmentation


def _tf() -> Any:
    import tensorflow as tf

    return tf


class _Step(Augmentation):
    def __init__(self, config: Any):
        self.config = config


class RandomAdjustBrightness(_Step):
    def __call__(self, image, boxes, labels):
        tf = _tf()
        delta = tf.random.uniform([], -self.config.max_delta, self.config.max_delta) * 255.0
        return tf.clip_by_value(image + delta, 0.0, 255.0), boxes, labels


class RandomAdjustContrast(_Step):
    def __call__(self, image, boxes, labels):
        tf = _tf()
        factor = tf.random.uniform([], self.config.min_delta, self.config.max_delta)
        return tf.clip_by_value(tf.image.adjust_contrast(image, factor), 0.0, 255.0), boxes, labels


class RandomPixelValueScale(_Step):
    def __call__(self, image, boxes, labels):
        tf = _tf()
        scale = tf.random.uniform(tf.shape(image), self.config.minval, self.config.maxval)
        return tf.clip_by_value(image * scale, 0.0, 255.0), boxes, labels


class RandomRGBtoGray(_Step):
    def __call__(self, image, boxes, labels):
        tf = _tf()
        grey = tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(image))
        keep = tf.random.uniform([]) >= self.config.probability
        return tf.where(keep, image, grey), boxes, labels


class RandomImageScale(_Step):
    def __call__(self, image, boxes, labels):
        tf = _tf()
        ratio = tf.random.uniform([], self.config.min_scale_ratio, self.config.max_scale_ratio)
        size = tf.cast(tf.round(tf.cast(tf.shape(image)[:2], tf.float32) * ratio), tf.int32)
        return tf.image.resize(image, tf.maximum(size, 1)), boxes, labels


class RandomJpegQuality(_Step):
    def __call__(self, image, boxes, labels):
        tf = _tf()
        low, high = self.config.min_jpeg_quality, self.config.max_jpeg_quality
        degraded = tf.cast(
            tf.image.random_jpeg_quality(tf.cast(image, tf.uint8), low, max(high, low + 1)),
            tf.float32,
        )
        keep = tf.random.uniform([]) < self.config.random_coef
        return tf.where(keep, image, degraded), boxes, labels


class RandomRotation(_Step):
    """A small rotation about the centre; boxes become the bounds of their turned corners."""

    def __call__(self, image, boxes, labels):
        tf = _tf()
        limit = self.config.max_angle_degrees * 3.141592653589793 / 180.0
        angle = tf.random.uniform([], -limit, limit)
        angle = tf.where(tf.random.uniform([]) < self.config.probability, angle, 0.0)
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        h, w = shape[0], shape[1]
        c, s = tf.cos(angle), tf.sin(angle)
        cx, cy = (w - 1) / 2, (h - 1) / 2
        # output (x, y) -> input: rotate by -angle about the centre
        transform = [c, s, cx - c * cx - s * cy, -s, c, cy + s * cx - c * cy, 0.0, 0.0]
        turned = tf.raw_ops.ImageProjectiveTransformV3(
            images=image[None],
            transforms=tf.stack(transform)[None],
            output_shape=tf.shape(image)[:2],
            fill_value=255.0,
            interpolation="BILINEAR",
            fill_mode="CONSTANT",
        )[0]
        ys = tf.stack([boxes[:, 0], boxes[:, 0], boxes[:, 2], boxes[:, 2]], 1) * h
        xs = tf.stack([boxes[:, 1], boxes[:, 3], boxes[:, 1], boxes[:, 3]], 1) * w
        nx = c * (xs - cx) - s * (ys - cy) + cx
        ny = s * (xs - cx) + c * (ys - cy) + cy
        moved = tf.stack(
            [
                tf.reduce_min(ny, 1) / h,
                tf.reduce_min(nx, 1) / w,
                tf.reduce_max(ny, 1) / h,
                tf.reduce_max(nx, 1) / w,
            ],
            1,
        )
        return turned, tf.clip_by_value(moved, 0.0, 1.0), labels


def crop_boxes(boxes: Any, labels: Any, window: Any, min_inside: float) -> tuple[Any, Any]:
    """Boxes re-expressed in ``window`` (normalised ymin, xmin, ymax, xmax); a box is kept
    when at least ``min_inside`` of its area lies in the window, and clipped to it.

    A glyph the window cuts more than that becomes an ignore region (label 0): what is
    left of it in the window is no glyph to learn, but it is not background either.
    Ignore regions stay whenever they overlap the window."""
    tf = _tf()
    wy0, wx0, wy1, wx1 = window[0], window[1], window[2], window[3]
    iy0, ix0 = tf.maximum(boxes[:, 0], wy0), tf.maximum(boxes[:, 1], wx0)
    iy1, ix1 = tf.minimum(boxes[:, 2], wy1), tf.minimum(boxes[:, 3], wx1)
    inter = tf.maximum(iy1 - iy0, 0.0) * tf.maximum(ix1 - ix0, 0.0)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    # Only boxes that overlap the window at all: a threshold of 0 (TF OD API's default for
    # random_crop_image) must not keep boxes outside it, which would clip to no area.
    whole = inter >= min_inside * tf.maximum(area, 1e-12)
    keep = inter > 0
    labels = tf.where(whole, labels, tf.zeros_like(labels))
    clipped = tf.stack([iy0, ix0, iy1, ix1], 1)
    scale = tf.stack([wy1 - wy0, wx1 - wx0, wy1 - wy0, wx1 - wx0])
    offset = tf.stack([wy0, wx0, wy0, wx0])
    moved = (tf.boolean_mask(clipped, keep) - offset) / scale
    return moved, tf.boolean_mask(labels, keep)


class RandomTileCrop(_Step):
    """A tile of the page at the model's input size (pages are large, glyphs small)."""

    any_dtype = True  # runs on the uint8 page, before the (page-sized) float conversion

    def __call__(self, image, boxes, labels):
        tf = _tf()
        shape = tf.shape(image)
        th = tf.minimum(self.config.height or shape[0], shape[0])
        tw = tf.minimum(self.config.width or shape[1], shape[1])
        y = tf.random.uniform([], 0, shape[0] - th + 1, dtype=tf.int32)
        x = tf.random.uniform([], 0, shape[1] - tw + 1, dtype=tf.int32)
        tile = image[y : y + th, x : x + tw]
        h, w = tf.cast(shape[0], tf.float32), tf.cast(shape[1], tf.float32)
        yf, xf = tf.cast(y, tf.float32), tf.cast(x, tf.float32)
        window = tf.stack(
            [yf / h, xf / w, (yf + tf.cast(th, tf.float32)) / h, (xf + tf.cast(tw, tf.float32)) / w]
        )
        boxes, labels = crop_boxes(boxes, labels, window, self.config.min_box_fraction)
        return tile, boxes, labels


def random_crop(image, boxes, labels, covered, aspect, area, overlap, keep_chance):
    """A crop holding at least ``covered`` of some box, boxes kept by ``overlap``; with
    chance ``keep_chance`` the image is left as it is (the TF OD API's random_coef)."""
    tf = _tf()
    begin, size, window = tf.image.sample_distorted_bounding_box(
        tf.shape(image),
        bounding_boxes=boxes[None],
        min_object_covered=covered,
        aspect_ratio_range=aspect,
        area_range=area,
        max_attempts=100,
        use_image_if_no_bounding_boxes=True,
    )
    cropped = tf.slice(image, begin, size)
    kept_boxes, kept_labels = crop_boxes(boxes, labels, window[0, 0], overlap)
    return tf.cond(
        tf.random.uniform([]) < keep_chance,
        lambda: (image, boxes, labels),
        lambda: (cropped, kept_boxes, kept_labels),
    )


class RandomCropImage(_Step):
    """TF OD API's random_crop_image: area and aspect ranges, boxes kept by overlap_thresh."""

    any_dtype = True

    def __call__(self, image, boxes, labels):
        c = self.config
        return random_crop(
            image,
            boxes,
            labels,
            c.min_object_covered,
            (c.min_aspect_ratio, c.max_aspect_ratio),
            (c.min_area, c.max_area),
            c.overlap_thresh,
            c.random_coef,
        )


# The TF OD API's ssd_random_crop operations when a config lists none.
SSD_CROPS = [
    (covered, (0.5, 2.0), (0.1, 1.0), covered, 0.15)
    for covered in (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
]


class SsdRandomCrop(_Step):
    """TF OD API's ssd_random_crop: one of its operations, chosen at random, per image."""

    any_dtype = True

    def __call__(self, image, boxes, labels):
        tf = _tf()
        operations = [
            (
                o.min_object_covered,
                (o.min_aspect_ratio, o.max_aspect_ratio),
                (o.min_area, o.max_area),
                o.overlap_thresh,
                o.random_coef,
            )
            for o in self.config.operations
        ] or SSD_CROPS
        choice = tf.random.uniform([], 0, len(operations), dtype=tf.int32)
        return tf.switch_case(
            choice,
            [lambda op=op: random_crop(image, boxes, labels, *op) for op in operations],
        )


class RandomHorizontalFlip(_Step):
    def __call__(self, image, boxes, labels):
        tf = _tf()
        flip = tf.random.uniform([]) < self.config.probability
        flipped = tf.stack([boxes[:, 0], 1 - boxes[:, 3], boxes[:, 2], 1 - boxes[:, 1]], 1)
        return (
            tf.where(flip, tf.image.flip_left_right(image), image),
            tf.where(flip, flipped, boxes),
            labels,
        )


STEPS = {
    "random_adjust_brightness": RandomAdjustBrightness,
    "random_adjust_contrast": RandomAdjustContrast,
    "random_pixel_value_scale": RandomPixelValueScale,
    "random_rgb_to_gray": RandomRGBtoGray,
    "random_image_scale": RandomImageScale,
    "random_jpeg_quality": RandomJpegQuality,
    "random_rotation": RandomRotation,
    "random_tile_crop": RandomTileCrop,
    "random_crop_image": RandomCropImage,
    "ssd_random_crop": SsdRandomCrop,
    "random_horizontal_flip": RandomHorizontalFlip,
}
# Steps that turn glyphs into other characters.
MIRRORING = {"random_horizontal_flip"}
