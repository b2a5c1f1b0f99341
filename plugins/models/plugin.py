"""Hooks of the models plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagine_core.api import (
    AnchorGenerator,
    FeatureExtractor,
    RcnnBoxPredictor,
    SsdBoxPredictor,
    hookimpl,
)
from imagine_plugins.models import classic_ssd, losses, matchers, parts, rcnn_extractors

# What each meta-architecture uses of the parts its config chooses (checked when it
# builds them, and by `imagine config validate` before anything is built).
SSD_NEEDS = {
    "feature_extractor": FeatureExtractor,
    "box_predictor": SsdBoxPredictor,
    "anchor_generator": AnchorGenerator,
}
FASTER_RCNN_NEEDS = {
    "feature_extractor": FeatureExtractor,
    "second_stage_box_predictor": RcnnBoxPredictor,
    "first_stage_anchor_generator": AnchorGenerator,
}

LOSSES = {
    "weighted_sigmoid": (losses.WeightedSigmoidLoss, "WeightedSigmoidClassificationLoss"),
    "weighted_softmax": (losses.WeightedSoftmaxLoss, "WeightedSoftmaxClassificationLoss"),
    "weighted_l2": (losses.WeightedL2Loss, "WeightedL2LocalizationLoss"),
    "weighted_iou": (losses.WeightedIouLoss, "WeightedIOULocalizationLoss"),
}


def _message(module: str, name: str) -> Any:
    from imagine_core.api import proto_module

    return getattr(proto_module(module), name)


def _part(cls: type) -> Any:
    return lambda config, slot=None, pipeline=None: cls(config)


def _detector(config, ctx):
    from imagine_plugins.models.retinanet import RetinaNetDetector

    return RetinaNetDetector(config, ctx)


def _faster_rcnn(config, ctx):
    from imagine_plugins.models.faster_rcnn import FasterRcnnDetector

    return FasterRcnnDetector(config, ctx)


def _box_predictor(config, slot=None, pipeline=None):
    from imagine_plugins.models.faster_rcnn import MaskRcnnBoxPredictor

    return MaskRcnnBoxPredictor(config)


@hookimpl
def imagine_config_dirs():
    """The ``model/`` options: ``imagine run model=faster_rcnn_resnet101``."""
    return [str(Path(__file__).resolve().parent / "conf")]


@hookimpl
def imagine_register(registry):
    for register in (_meta_architectures, _feature_extractors, _heads_and_anchors, _targets):
        register(registry.add)


def _meta_architectures(add: Any) -> None:
    add(
        "meta_architecture",
        "ssd",
        factory=_detector,
        config_type=_message("ssd", "Ssd"),
        needs=SSD_NEEDS,
        description="RetinaNet-family SSD (FPN features, multiscale anchors, shared heads) "
        "built with Model Garden",
    )
    add(
        "meta_architecture",
        "faster_rcnn",
        factory=_faster_rcnn,
        config_type=_message("faster_rcnn", "FasterRcnn"),
        needs=FASTER_RCNN_NEEDS,
        description="two-stage Faster R-CNN on Model Garden's Mask R-CNN (no masks)",
    )


def _feature_extractors(add: Any) -> None:
    for name, (kind, model_id, fpn) in rcnn_extractors.EXTRACTORS.items():
        shape = "an FPN" if fpn else "one stride-16 map, the next block on each region"
        add(
            "feature_extractor",
            name,
            factory=lambda config, slot, pipeline=None: rcnn_extractors.RcnnFeatureExtractor(slot),
            description=f"Faster R-CNN: Model Garden {kind} {model_id} with {shape}",
        )
    for name in parts.BACKBONES:
        add(
            "feature_extractor",
            name,
            factory=lambda config, slot, pipeline=None: parts.FpnFeatureExtractor(slot),
            description=f"Model Garden {parts.BACKBONES[name][1]} backbone with an FPN",
        )
    add(
        "feature_extractor",
        "ssd_mobilenet_v2",
        factory=lambda config, slot, pipeline=None: classic_ssd.ClassicSsdExtractor(slot),
        description="classic SSD: Model Garden MobileNetV2 + extra stride-2 layers",
    )


def _heads_and_anchors(add: Any) -> None:
    add(
        "box_predictor",
        "mask_rcnn_box_predictor",
        factory=_box_predictor,
        config_type=_message("box_predictor", "MaskRCNNBoxPredictor"),
        description="Faster R-CNN's second stage: class logits and box codes per region",
    )
    add(
        "anchor_generator",
        "grid_anchor_generator",
        factory=_part(parts.GridAnchors),
        config_type=_message("anchor_generator", "GridAnchorGenerator"),
        description="Faster R-CNN anchors: scales x aspect ratios on one feature map",
    )
    add(
        "box_predictor",
        "convolutional_box_predictor",
        factory=_part(classic_ssd.ConvolutionalPredictor),
        config_type=_message("box_predictor", "ConvolutionalBoxPredictor"),
        description="classic SSD: separate convolutions on every feature map",
    )
    add(
        "anchor_generator",
        "ssd_anchor_generator",
        factory=_part(classic_ssd.SsdAnchors),
        config_type=_message("anchor_generator", "SsdAnchorGenerator"),
        description="classic SSD anchors: linear scales over the maps, aspect ratios",
    )
    add(
        "box_predictor",
        "weight_shared_convolutional_box_predictor",
        factory=_part(parts.WeightSharedPredictor),
        config_type=_message("box_predictor", "WeightSharedConvolutionalBoxPredictor"),
    )
    add(
        "anchor_generator",
        "multiscale_anchor_generator",
        factory=_part(parts.MultiscaleAnchors),
        config_type=_message("anchor_generator", "MultiscaleAnchorGenerator"),
    )


def _targets(add: Any) -> None:
    """What assigns targets and scores them: similarity, matchers, box coder, losses."""
    add(
        "similarity_calculator",
        "iou_similarity",
        factory=_part(parts.IouSimilarity),
        config_type=_message("matcher", "IouSimilarity"),
    )
    add(
        "matcher",
        "argmax_matcher",
        factory=_part(parts.ArgMaxMatcher),
        config_type=_message("matcher", "ArgMaxMatcher"),
    )
    add(
        "matcher",
        "bipartite_matcher",
        factory=_part(matchers.GreedyBipartiteMatcher),
        config_type=_message("matcher", "BipartiteMatcher"),
        description="greedy bipartite: each ground-truth box gets its one best anchor",
    )
    add(
        "box_coder",
        "faster_rcnn_box_coder",
        factory=_part(parts.FasterRcnnCoder),
        config_type=_message("box_coder", "FasterRcnnBoxCoder"),
    )
    add(
        "loss",
        "weighted_sigmoid_focal",
        factory=_part(losses.SigmoidFocalLoss),
        config_type=_message("losses", "SigmoidFocalClassificationLoss"),
    )
    add(
        "loss",
        "weighted_smooth_l1",
        factory=_part(losses.SmoothL1Loss),
        config_type=_message("losses", "WeightedSmoothL1LocalizationLoss"),
    )
    for name, (cls, message) in LOSSES.items():
        add(
            "loss",
            name,
            factory=_part(cls),
            config_type=_message("losses", message),
            description=(cls.__doc__ or "").splitlines()[0],
        )


_RCNN = "model.faster_rcnn"
RCNN_READS = (
    *(
        f"{_RCNN}.{f}"
        for f in (
            "num_classes",
            "number_of_stages",
            "freeze_batchnorm",
            "use_matmul_gather_in_matcher",
            "use_static_shapes",
            "first_stage_box_predictor_depth",
            "first_stage_minibatch_size",
            "first_stage_positive_balance_fraction",
            "first_stage_nms_score_threshold",
            "first_stage_nms_iou_threshold",
            "first_stage_max_proposals",
            "first_stage_localization_loss_weight",
            "first_stage_objectness_loss_weight",
            "initial_crop_size",
            "maxpool_kernel_size",
            "maxpool_stride",
            "second_stage_batch_size",
            "second_stage_balance_fraction",
            "second_stage_localization_loss_weight",
            "second_stage_classification_loss_weight",
            "second_stage_classification_loss.*",
            "feature_extractor.type",
            "feature_extractor.first_stage_features_stride",
            "feature_extractor.batch_norm_trainable",
            "feature_extractor.depth_multiplier",
            "feature_extractor.fpn.additional_layer_depth",
            "first_stage_anchor_generator.grid_anchor_generator.*",
            "first_stage_anchor_generator.multiscale_anchor_generator.*",
            "second_stage_post_processing.score_converter",
            "second_stage_post_processing.batch_non_max_suppression.score_threshold",
            "second_stage_post_processing.batch_non_max_suppression.iou_threshold",
            "second_stage_post_processing.batch_non_max_suppression.max_total_detections",
            "second_stage_post_processing.batch_non_max_suppression.use_class_agnostic_nms",
        )
    ),
    *(
        f"{_RCNN}.{part}.{h}*"
        for part in (
            "feature_extractor.conv_hyperparams",
            "first_stage_box_predictor_conv_hyperparams",
            "second_stage_box_predictor.mask_rcnn_box_predictor.fc_hyperparams",
        )
        for h in (
            "activation",
            "regularizer.l2_regularizer.weight",
            "batch_norm.decay",
            "batch_norm.epsilon",
            "sync_batch_norm",
        )
    ),
    *(
        f"{_RCNN}.second_stage_box_predictor.mask_rcnn_box_predictor.{f}"
        for f in ("use_dropout", "dropout_keep_probability", "share_box_across_classes")
    ),
)


# The fields of model.ssd that RetinaNetDetector, classic SSD and their parts honour.
_HYPER = (
    "activation",
    "regularizer.l2_regularizer.weight",
    "batch_norm.decay",
    "batch_norm.epsilon",
    "sync_batch_norm",
)
_EXTRACTOR = "model.ssd.feature_extractor"
_HEAD = "model.ssd.box_predictor.weight_shared_convolutional_box_predictor"
_ANCHORS = "model.ssd.anchor_generator.multiscale_anchor_generator"
_MATCHER = "model.ssd.matcher.argmax_matcher"
_NMS = "model.ssd.post_processing.batch_non_max_suppression"
SSD_READS = (
    "model.ssd.num_classes",
    "model.ssd.freeze_batchnorm",
    "model.ssd.normalize_loss_by_num_matches",
    "model.ssd.normalize_loc_loss_by_codesize",
    "model.ssd.similarity_calculator.iou_similarity",
    "model.ssd.matcher.bipartite_matcher",
    "model.ssd.box_coder.faster_rcnn_box_coder.*",
    "model.ssd.loss.classification_loss.weighted_sigmoid_focal.alpha",
    "model.ssd.loss.classification_loss.weighted_sigmoid_focal.gamma",
    "model.ssd.loss.localization_loss.weighted_smooth_l1",
    "model.ssd.loss.localization_loss.weighted_smooth_l1.delta",
    "model.ssd.loss.classification_weight",
    "model.ssd.loss.localization_weight",
    f"{_EXTRACTOR}.type",
    f"{_EXTRACTOR}.depth_multiplier",
    f"{_EXTRACTOR}.fpn.additional_layer_depth",
    *(f"{_EXTRACTOR}.conv_hyperparams.{h}*" for h in _HYPER),
    f"{_HEAD}.depth",
    f"{_HEAD}.num_layers_before_predictor",
    f"{_HEAD}.use_depthwise",
    *(f"{_HEAD}.conv_hyperparams.{h}*" for h in _HYPER),
    *(
        f"{_ANCHORS}.{f}"
        for f in (
            "min_level",
            "max_level",
            "anchor_scale",
            "aspect_ratios",
            "scales_per_octave",
        )
    ),
    *(
        f"{_MATCHER}.{f}"
        for f in (
            "matched_threshold",
            "unmatched_threshold",
            "ignore_thresholds",
            "negatives_lower_than_unmatched",
            "force_match_for_each_row",
            "use_matmul_gather",
        )
    ),
    f"{_NMS}.score_threshold",
    f"{_NMS}.iou_threshold",
    f"{_NMS}.max_total_detections",
    f"{_NMS}.use_class_agnostic_nms",
    *(
        f"model.ssd.loss.{'classification' if 'Classification' in message else 'localization'}"
        f"_loss.{name}*"
        for name, (_, message) in LOSSES.items()
    ),
    *(
        f"model.ssd.loss.hard_example_miner.{f}"
        for f in (
            "num_hard_examples",
            "iou_threshold",
            "loss_type",
            "max_negatives_per_positive",
            "min_negatives_per_image",
        )
    ),
    f"{_EXTRACTOR}.min_depth",
    f"{_EXTRACTOR}.use_depthwise",
    *(
        f"model.ssd.box_predictor.convolutional_box_predictor.{f}"
        for f in (
            "min_depth",
            "max_depth",
            "num_layers_before_predictor",
            "use_dropout",
            "dropout_keep_probability",
            "kernel_size",
            "box_code_size",
            "class_prediction_bias_init",
        )
    ),
    *(f"model.ssd.box_predictor.convolutional_box_predictor.conv_hyperparams.{h}*" for h in _HYPER),
    *(
        f"model.ssd.anchor_generator.ssd_anchor_generator.{f}"
        for f in (
            "num_layers",
            "min_scale",
            "max_scale",
            "scales",
            "aspect_ratios",
            "interpolated_scale_aspect_ratio",
            "reduce_boxes_in_lowest_layer",
            "base_anchor_height",
            "base_anchor_width",
        )
    ),
)


@hookimpl
def imagine_reads():
    """The fields of the model sections that the detectors and their parts honour."""
    return [*SSD_READS, *RCNN_READS]
