"""The parts of a RetinaNet-family detector, each a registry component on Model Garden ops.

Every class takes its own config message (the chosen oneof alternative, or the
feature extractor's slot) and does one job; ``RetinaNetDetector`` assembles
them. TensorFlow and Model Garden are imported when a part is used.
"""

from __future__ import annotations

import warnings
from typing import Any

from imagine_core.api import (
    AnchorGenerator,
    BoxCoder,
    FeatureExtractor,
    ImagineError,
    Matcher,
    SimilarityCalculator,
    SsdBoxPredictor,
)
from imagine_plugins.models.matchers import target_gather

BACKBONES = {
    "ssd_mobilenet_v2_fpn": ("mobilenet", "MobileNetV2"),
    "ssd_mobilenet_v1_fpn": ("mobilenet", "MobileNetV1"),
    "ssd_resnet50_v1_fpn": ("resnet", 50),
}
ACTIVATIONS = {0: "linear", 1: "relu", 2: "relu6", 3: "swish"}
# Model Garden's MobileNet returns a level-6 map that its output specs do not list; the
# FPN ignores it, and tf_keras would say so on every call.
warnings.filterwarnings(
    "ignore", message=r"Input dict contained keys \['6'\]", category=UserWarning
)


def norm_activation(hyperparams: Any) -> Any:
    from official.vision.configs import common

    batch_norm = hyperparams.batch_norm
    return common.NormActivation(
        activation=ACTIVATIONS[hyperparams.activation],
        use_sync_bn=hyperparams.HasField("sync_batch_norm"),
        norm_momentum=batch_norm.decay if hyperparams.HasField("batch_norm") else 0.99,
        norm_epsilon=batch_norm.epsilon if hyperparams.HasField("batch_norm") else 0.001,
    )


def l2(hyperparams: Any) -> Any:
    import tf_keras

    weight = hyperparams.regularizer.l2_regularizer.weight
    # The TF OD API's l2 weight multiplies 0.5 * ||w||^2; Keras' multiplies ||w||^2.
    return tf_keras.regularizers.l2(weight / 2.0) if weight else None


class FpnFeatureExtractor(FeatureExtractor):
    """A Model Garden backbone with an FPN on top: feature maps at levels min..max."""

    def __init__(self, slot: Any):
        self.slot = slot
        self.backbone = self.decoder = None

    def build(self, min_level: int, max_level: int) -> tuple[Any, Any]:
        import tf_keras
        from official.vision.configs import backbones, decoders
        from official.vision.configs import retinanet as rcfg
        from official.vision.modeling import backbones as backbone_factory
        from official.vision.modeling import decoders as decoder_factory

        slot = self.slot
        kind, model_id = BACKBONES[slot.type]
        if kind == "mobilenet":
            config = backbones.Backbone(
                type="mobilenet",
                mobilenet=backbones.MobileNet(
                    model_id=model_id, filter_size_scale=slot.depth_multiplier
                ),
            )
        else:
            config = backbones.Backbone(
                type="resnet",
                resnet=backbones.ResNet(model_id=model_id, depth_multiplier=slot.depth_multiplier),
            )
        depth = slot.fpn.additional_layer_depth if slot.HasField("fpn") else 256
        specs = tf_keras.layers.InputSpec(shape=[None, None, None, 3])
        norm = norm_activation(slot.conv_hyperparams)
        regularizer = l2(slot.conv_hyperparams)
        self.backbone = backbone_factory.factory.build_backbone(
            input_specs=specs,
            backbone_config=config,
            norm_activation_config=norm,
            l2_regularizer=regularizer,
        )
        model_config = rcfg.RetinaNet(
            min_level=min_level,
            max_level=max_level,
            norm_activation=norm,
            decoder=decoders.Decoder(type="fpn", fpn=decoders.FPN(num_filters=depth)),
        )
        self.decoder = decoder_factory.factory.build_decoder(
            input_specs=self.backbone.output_specs,
            model_config=model_config,
            l2_regularizer=regularizer,
        )
        return self.backbone, self.decoder


class WeightSharedPredictor(SsdBoxPredictor):
    """RetinaNet's heads: the same convolutions on every level."""

    def __init__(self, config: Any):
        self.config = config
        self.head = None

    def build(
        self, min_level: int, max_level: int, num_classes: int, anchors_per_location: int
    ) -> Any:
        from official.vision.modeling.heads import dense_prediction_heads

        if isinstance(anchors_per_location, dict):
            raise ImagineError(
                "the weight-shared box predictor runs the same head on every level, but the "
                "anchor generator puts different numbers of anchors there "
                f"({anchors_per_location})",
                where="model.ssd.box_predictor.weight_shared_convolutional_box_predictor",
                fix="use a convolutional_box_predictor (one head per level), or a "
                "multiscale_anchor_generator",
            )
        c = self.config
        norm = norm_activation(c.conv_hyperparams)
        self.head = dense_prediction_heads.RetinaNetHead(
            min_level=min_level,
            max_level=max_level,
            num_classes=num_classes,
            num_anchors_per_location=anchors_per_location,
            num_convs=c.num_layers_before_predictor,
            num_filters=c.depth or 256,
            use_separable_conv=c.use_depthwise,
            activation=norm.activation,
            use_sync_bn=norm.use_sync_bn,
            norm_momentum=norm.norm_momentum,
            norm_epsilon=norm.norm_epsilon,
            kernel_regularizer=l2(c.conv_hyperparams),
            share_level_convs=True,
        )
        return self.head


class MultiscaleAnchors(AnchorGenerator):
    def __init__(self, config: Any):
        self.config = config
        self.aspect_ratios = list(config.aspect_ratios) or [1.0, 2.0, 0.5]
        self.min_level, self.max_level = config.min_level, config.max_level

    @property
    def per_location(self) -> int:
        return self.config.scales_per_octave * len(self.aspect_ratios)

    def __call__(self, image_size):
        from official.vision.ops import anchor

        c = self.config
        return anchor.Anchor(
            c.min_level,
            c.max_level,
            c.scales_per_octave,
            self.aspect_ratios,
            c.anchor_scale,
            tuple(image_size),
        ).multilevel_boxes


class GridAnchors(AnchorGenerator):
    """Faster R-CNN's anchors: every scale x aspect ratio of a base box at each cell of one
    feature map, centred at ``offset + i * stride`` (as the TF OD API places them)."""

    def __init__(self, config: Any):
        c = self.config = config
        self.scales = list(c.scales) or [0.5, 1.0, 2.0]
        self.aspect_ratios = list(c.aspect_ratios) or [0.5, 1.0, 2.0]
        stride = c.height_stride
        if stride != c.width_stride or stride < 2 or stride & (stride - 1):
            raise ImagineError(
                f"grid anchors need equal power-of-two strides, got height_stride {stride} "
                f"and width_stride {c.width_stride}",
                where="grid_anchor_generator",
                fix="use the feature extractor's stride for both, e.g. 16",
            )
        self.min_level = self.max_level = stride.bit_length() - 1

    @property
    def per_location(self) -> int:
        return len(self.scales) * len(self.aspect_ratios)

    def __call__(self, image_size):
        import math

        import tensorflow as tf

        c = self.config
        stride = c.height_stride
        sizes = [
            (c.height * scale / math.sqrt(ratio), c.width * scale * math.sqrt(ratio))
            for scale in self.scales
            for ratio in self.aspect_ratios
        ]
        heights = tf.constant([h for h, _ in sizes], tf.float32)
        widths = tf.constant([w for _, w in sizes], tf.float32)
        rows, cols = (math.ceil(side / stride) for side in image_size)
        cy = tf.range(rows, dtype=tf.float32) * stride + c.height_offset
        cx = tf.range(cols, dtype=tf.float32) * stride + c.width_offset
        cy, cx = cy[:, None, None], cx[None, :, None]
        boxes = tf.stack(
            [
                tf.broadcast_to(cy - heights / 2, [rows, cols, len(sizes)]),
                tf.broadcast_to(cx - widths / 2, [rows, cols, len(sizes)]),
                tf.broadcast_to(cy + heights / 2, [rows, cols, len(sizes)]),
                tf.broadcast_to(cx + widths / 2, [rows, cols, len(sizes)]),
            ],
            axis=-1,
        )
        return {str(self.min_level): tf.reshape(boxes, [rows, cols, 4 * len(sizes)])}


class IouSimilarity(SimilarityCalculator):
    def __init__(self, config: Any = None):
        from official.vision.ops import iou_similarity

        self.op = iou_similarity.IouSimilarity()

    def __call__(self, boxes1, boxes2):
        return self.op(boxes1, boxes2)


class ArgMaxMatcher(Matcher):
    """Anchors (rows here) to ground truth: matched >= matched_threshold, unmatched below
    unmatched_threshold, ignored between; ``force_match_for_each_row`` gives every
    ground-truth box its best anchor."""

    def __init__(self, config: Any):
        from official.vision.ops import box_matcher

        c = config
        low = c.matched_threshold if c.ignore_thresholds else c.unmatched_threshold
        indicators = [-1, -2, 1] if c.negatives_lower_than_unmatched else [-2, -1, 1]
        self.op = box_matcher.BoxMatcher(
            thresholds=[low, c.matched_threshold],
            indicators=indicators,
            force_match_for_each_col=c.force_match_for_each_row,
        )
        self.gather = target_gather(c.use_matmul_gather)

    def __call__(self, similarity):
        return self.op(similarity)


class FasterRcnnCoder(BoxCoder):
    def __init__(self, config: Any):
        from official.vision.utils.object_detection import faster_rcnn_box_coder

        c = config
        self.weights = [c.y_scale, c.x_scale, c.height_scale, c.width_scale]
        self.op = faster_rcnn_box_coder.FasterRcnnBoxCoder(scale_factors=self.weights)

    def encode(self, boxes, anchors):
        from official.vision.utils.object_detection import box_list

        return self.op.encode(box_list.BoxList(boxes), box_list.BoxList(anchors))

    def decode(self, codes, anchors):
        from official.vision.utils.object_detection import box_list

        return self.op.decode(codes, box_list.BoxList(anchors)).get()
