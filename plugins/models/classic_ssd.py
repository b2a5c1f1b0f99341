"""The classic SSD's parts (Liu et al. 2016, the TF OD API's ``ssd_mobilenet_v2``): feature
maps from the backbone's last two strides plus extra stride-2 layers, a separate
convolutional predictor per map, and ``ssd_anchor_generator`` anchors.

Model Garden has no classic SSD, so these are written here on its MobileNet backbone and
tf_keras layers. Feature maps are keyed by level (log2 of their stride) like Model
Garden's, starting at 4 (stride 16); anchors are computed from each map's size
(``ceil(side / 2**level)``), so any input size works, as with SAME-padded convolutions.
"""

from __future__ import annotations

import math
from typing import Any

from imagine_core.api import AnchorGenerator, FeatureExtractor, ImagineError, SsdBoxPredictor
from imagine_plugins.models.parts import ACTIVATIONS, l2, norm_activation

FIRST_LEVEL = 4  # the first feature map has stride 16
EXTRA_DEPTHS = (512, 256, 256, 128)  # the TF OD API's extra layers after stride 32


class SsdAnchors(AnchorGenerator):
    """``ssd_anchor_generator``: scales linear from ``min_scale`` to ``max_scale`` over
    ``num_layers`` maps (or ``scales``), each with every aspect ratio plus one in-between
    scale at ``interpolated_scale_aspect_ratio``; the lowest map gets three boxes when
    ``reduce_boxes_in_lowest_layer``. Sizes are fractions of the image's shorter side."""

    def __init__(self, config: Any):
        c = self.config = config
        n = c.num_layers
        scales = list(c.scales) or [
            c.min_scale + (c.max_scale - c.min_scale) * i / max(n - 1, 1) for i in range(n)
        ]
        scales.append(1.0)
        ratios = list(c.aspect_ratios) or [1.0, 2.0, 0.5, 3.0, 1 / 3]
        self.layers: list[list[tuple[float, float]]] = []
        for i in range(n):
            if i == 0 and c.reduce_boxes_in_lowest_layer:
                specs = [(0.1, 1.0), (scales[0], 2.0), (scales[0], 0.5)]
            else:
                specs = [(scales[i], r) for r in ratios]
                if c.interpolated_scale_aspect_ratio > 0:
                    between = math.sqrt(scales[i] * scales[i + 1])
                    specs.append((between, c.interpolated_scale_aspect_ratio))
            self.layers.append(specs)
        self.min_level = FIRST_LEVEL
        self.max_level = FIRST_LEVEL + n - 1
        self.aspect_ratios = ratios

    @property
    def per_location(self) -> dict[str, int]:
        return {str(self.min_level + i): len(s) for i, s in enumerate(self.layers)}

    def __call__(self, image_size):
        import numpy as np
        import tensorflow as tf

        height, width = image_size
        short = min(height, width)
        c = self.config
        levels = {}
        for i, specs in enumerate(self.layers):
            level = self.min_level + i
            rows, cols = math.ceil(height / 2**level), math.ceil(width / 2**level)
            cy = (np.arange(rows) + 0.5) / rows * height
            cx = (np.arange(cols) + 0.5) / cols * width
            sizes = (
                np.array(
                    [
                        (
                            s / math.sqrt(r) * c.base_anchor_height,
                            s * math.sqrt(r) * c.base_anchor_width,
                        )
                        for s, r in specs
                    ]
                )
                * short
            )
            y, x = np.meshgrid(cy, cx, indexing="ij")
            centres = np.stack([y, x], -1)[:, :, None, :]  # rows, cols, 1, 2
            half = sizes[None, None] / 2  # 1, 1, anchors, 2
            boxes = np.concatenate([centres - half, centres + half], -1)  # ymin xmin ymax xmax
            levels[str(level)] = tf.constant(boxes.reshape(rows, cols, len(specs) * 4), tf.float32)
        return levels


def _conv(depth: int, kernel: int, stride: int, hyperparams: Any, depthwise: bool, name: str):
    import tf_keras

    regularizer = l2(hyperparams)
    if depthwise and kernel > 1:
        return tf_keras.layers.SeparableConv2D(
            depth,
            kernel,
            stride,
            padding="same",
            use_bias=False,
            depthwise_regularizer=regularizer,
            pointwise_regularizer=regularizer,
            name=name,
        )
    return tf_keras.layers.Conv2D(
        depth,
        kernel,
        stride,
        padding="same",
        use_bias=False,
        kernel_regularizer=regularizer,
        name=name,
    )


def _norm_act(hyperparams: Any, name: str) -> list[Any]:
    import tf_keras

    norm = norm_activation(hyperparams)
    return [
        tf_keras.layers.BatchNormalization(
            momentum=norm.norm_momentum, epsilon=norm.norm_epsilon, name=f"{name}_bn"
        ),
        tf_keras.layers.Activation(ACTIVATIONS[hyperparams.activation], name=f"{name}_act"),
    ]


def extra_layers(slot: Any, max_level: int) -> Any:
    """The maps above stride 32: each a 1x1 conv to half depth, then a 3x3 stride-2 conv."""
    import tf_keras

    hyper = slot.conv_hyperparams
    depths = [
        max(int(d * slot.depth_multiplier), slot.min_depth)
        for d in EXTRA_DEPTHS[: max(max_level - 5, 0)]
    ]

    class Extra(tf_keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = []
            for i, depth in enumerate(depths):
                name = f"extra_{6 + i}"
                self.blocks.append(
                    [
                        _conv(depth // 2, 1, 1, hyper, False, f"{name}_1x1"),
                        *_norm_act(hyper, f"{name}_1x1"),
                        _conv(depth, 3, 2, hyper, slot.use_depthwise, f"{name}_3x3"),
                        *_norm_act(hyper, f"{name}_3x3"),
                    ]
                )

        def call(self, endpoints, training=None):
            features = {"4": endpoints["4"], "5": endpoints["5"]}
            x = endpoints["5"]
            for i, block in enumerate(self.blocks):
                for layer in block:  # tf_keras hands `training` down to each layer
                    x = layer(x)
                features[str(6 + i)] = x
            return features

    return Extra(name="ssd_extra_layers")


class ClassicSsdExtractor(FeatureExtractor):
    """``ssd_mobilenet_v2``: Model Garden's MobileNetV2 (``depth_multiplier``), its stride-16
    and stride-32 outputs, and extra layers up to the anchor generator's last level."""

    size_multiple = 1  # SAME-padded stride-2 layers take any size

    def __init__(self, slot: Any):
        if slot.DESCRIPTOR.name != "SsdFeatureExtractor":
            raise ImagineError(
                f"{slot.type} is a feature extractor of the ssd meta-architecture",
                where="model.faster_rcnn.feature_extractor.type",
                fix="use it under model.ssd, or choose a faster_rcnn_* extractor here",
            )
        self.slot = slot
        self.backbone = self.decoder = None

    def build(self, min_level: int, max_level: int) -> tuple[Any, Any]:
        import tf_keras
        from official.vision.modeling.backbones import mobilenet

        if min_level != FIRST_LEVEL:
            raise ImagineError(
                f"{self.slot.type}'s first feature map has stride {2**FIRST_LEVEL}, but the "
                f"anchors start at level {min_level} (stride {2**min_level})",
                where="model.ssd.anchor_generator",
                fix="use an ssd_anchor_generator (model=ssd_mobilenet_v2 has one), whose "
                f"maps start at level {FIRST_LEVEL}",
            )
        slot = self.slot
        norm = norm_activation(slot.conv_hyperparams)
        backbone = mobilenet.MobileNet(
            model_id="MobileNetV2",
            filter_size_scale=slot.depth_multiplier,
            input_specs=tf_keras.layers.InputSpec(shape=[None, None, None, 3]),
            norm_momentum=norm.norm_momentum,
            norm_epsilon=norm.norm_epsilon,
            kernel_regularizer=l2(slot.conv_hyperparams),
            min_depth=slot.min_depth or 8,
        )
        self.backbone, self.decoder = backbone, extra_layers(slot, max_level)
        return self.backbone, self.decoder


class ConvolutionalPredictor(SsdBoxPredictor):
    """``convolutional_box_predictor``: on every map its own layers — optional
    ``num_layers_before_predictor`` convolutions, dropout, then box and class convolutions
    of ``kernel_size`` (class bias ``class_prediction_bias_init``)."""

    def __init__(self, config: Any):
        self.config = config
        self.head = None

    def build(
        self, min_level: int, max_level: int, num_classes: int, anchors_per_location: Any
    ) -> Any:
        import tf_keras

        c = self.config
        per_level = (
            anchors_per_location
            if isinstance(anchors_per_location, dict)
            else {str(level): anchors_per_location for level in range(min_level, max_level + 1)}
        )
        hyper = c.conv_hyperparams
        # The TF OD API clips the tower's depth to [min_depth, max_depth]; 0 means no bound.
        tower_depth = max(c.min_depth, min(c.max_depth or 256, 256))

        class Head(tf_keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.towers, self.boxes, self.classes, self.drop = {}, {}, {}, {}
                bias = tf_keras.initializers.Constant(c.class_prediction_bias_init)
                for level, anchors in per_level.items():
                    self.towers[level] = [
                        layer
                        for i in range(c.num_layers_before_predictor)
                        for layer in (
                            _conv(tower_depth, 1, 1, hyper, False, f"tower_{level}_{i}"),
                            *_norm_act(hyper, f"tower_{level}_{i}"),
                        )
                    ]
                    self.drop[level] = tf_keras.layers.Dropout(1 - c.dropout_keep_probability)
                    self.boxes[level] = tf_keras.layers.Conv2D(
                        anchors * c.box_code_size,
                        c.kernel_size,
                        padding="same",
                        kernel_regularizer=l2(hyper),
                        name=f"box_{level}",
                    )
                    self.classes[level] = tf_keras.layers.Conv2D(
                        anchors * num_classes,
                        c.kernel_size,
                        padding="same",
                        bias_initializer=bias,
                        kernel_regularizer=l2(hyper),
                        name=f"class_{level}",
                    )

            def call(self, features, training=None):
                scores, boxes = {}, {}
                for level in per_level:
                    x = features[level]
                    for layer in self.towers[level]:
                        x = layer(x)
                    if c.use_dropout:
                        x = self.drop[level](x)
                    scores[level] = self.classes[level](x)
                    boxes[level] = self.boxes[level](x)
                return scores, boxes, {}

        self.head = Head(name="convolutional_box_predictor")
        return self.head
