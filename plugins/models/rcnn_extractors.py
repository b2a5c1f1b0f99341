"""Faster R-CNN feature extractors on Model Garden backbones.

Two shapes, as in the TF OD API: a single feature map (``faster_rcnn_resnet50``: the
ResNet up to its stride-16 block feeds the region proposals, and the next block runs on
each cropped region as the box classifier), or an FPN (``…_fpn``: proposals and crops on
every pyramid level, two fully connected layers as the box classifier).
"""

from __future__ import annotations

from typing import Any

from imagine_core.api import FeatureExtractor, ImagineError
from imagine_plugins.models.parts import l2, norm_activation

# name -> (Model Garden backbone, model id, with an FPN)
EXTRACTORS = {
    "faster_rcnn_resnet50": ("resnet", 50, False),
    "faster_rcnn_resnet101": ("resnet", 101, False),
    "faster_rcnn_resnet50_fpn": ("resnet", 50, True),
    "faster_rcnn_resnet101_fpn": ("resnet", 101, True),
    "faster_rcnn_mobilenet_v2_fpn": ("mobilenet", "MobileNetV2", True),
}
FPN_DEPTH = 256
FPN_FC_LAYERS, FPN_FC_DIMS = 2, 1024


class RcnnFeatureExtractor(FeatureExtractor):
    """``build`` returns the first stage (backbone, decoder) for the anchor levels;
    ``box_classifier`` the layers every cropped region goes through (or None), and
    ``fc_layers`` how many hidden fully connected layers the box predictor adds."""

    def __init__(self, slot: Any):
        if slot.DESCRIPTOR.name != "FasterRcnnFeatureExtractor":
            raise ImagineError(
                f"{slot.type} is a Faster R-CNN feature extractor",
                where="model.ssd.feature_extractor.type",
                fix="use it under model.faster_rcnn, or choose an ssd_* extractor here",
            )
        self.slot = slot
        self.kind, self.model_id, self.fpn = EXTRACTORS[slot.type]
        self.fc_layers = FPN_FC_LAYERS if self.fpn else 0
        self.fc_dims = FPN_FC_DIMS
        self.box_classifier = None
        self.backbone = self.decoder = None

    def _backbone(self) -> Any:
        import tf_keras
        from official.vision.configs import backbones
        from official.vision.modeling import backbones as backbone_factory

        width = self.slot.depth_multiplier
        if self.kind == "mobilenet":
            config = backbones.Backbone(
                type="mobilenet",
                mobilenet=backbones.MobileNet(model_id=self.model_id, filter_size_scale=width),
            )
        else:
            config = backbones.Backbone(
                type="resnet",
                resnet=backbones.ResNet(model_id=self.model_id, depth_multiplier=width),
            )
        return backbone_factory.factory.build_backbone(
            input_specs=tf_keras.layers.InputSpec(shape=[None, None, None, 3]),
            backbone_config=config,
            norm_activation_config=norm_activation(self.slot.conv_hyperparams),
            l2_regularizer=l2(self.slot.conv_hyperparams),
        )

    def build(self, min_level: int, max_level: int) -> tuple[Any, Any]:
        import tf_keras

        backbone = self._backbone()
        if self.fpn:
            from official.vision.configs import decoders
            from official.vision.configs import maskrcnn as mcfg
            from official.vision.modeling import decoders as decoder_factory

            slot = self.slot
            depth = slot.fpn.additional_layer_depth if slot.HasField("fpn") else FPN_DEPTH
            model_config = mcfg.MaskRCNN(
                min_level=min_level,
                max_level=max_level,
                norm_activation=norm_activation(self.slot.conv_hyperparams),
                decoder=decoders.Decoder(type="fpn", fpn=decoders.FPN(num_filters=depth)),
            )
            self.backbone = backbone
            self.decoder = decoder_factory.factory.build_decoder(
                input_specs=backbone.output_specs,
                model_config=model_config,
                l2_regularizer=l2(self.slot.conv_hyperparams),
            )
            return self.backbone, self.decoder
        level = str(min_level)
        stride = self.slot.first_stage_features_stride
        if min_level != max_level or 2**min_level != stride or level not in backbone.output:
            raise ImagineError(
                f"{self.slot.type} gives one feature map at stride {stride}, but the first "
                f"stage anchors are on levels {min_level}..{max_level} "
                f"(strides {2**min_level}..{2**max_level})",
                where="model.faster_rcnn.first_stage_anchor_generator",
                fix="use a grid_anchor_generator whose height_stride and width_stride equal "
                "feature_extractor.first_stage_features_stride (8 or 16)",
            )
        # The ResNet up to this level proposes regions; its next block classifies them.
        self.backbone = tf_keras.Model(backbone.input, {level: backbone.output[level]})
        self.box_classifier = tf_keras.Model(
            backbone.output[level], backbone.output[str(min_level + 1)]
        )
        return self.backbone, None
