"""The ``faster_rcnn`` meta-architecture, on Model Garden's Mask R-CNN without masks.

The first stage (feature extractor, grid or multiscale anchors, RPN head) proposes
regions; Model Garden's ROI generator keeps the best ``first_stage_max_proposals`` after
NMS, its ROI sampler picks ``second_stage_batch_size`` of them per image for training, its
ROI aligner crops each to ``initial_crop_size``; the second stage (max pool, the
extractor's box classifier, the ``mask_rcnn_box_predictor``) scores and refines them.
Region-proposal targets are assigned in the input pipeline (``label_fn``), as Model
Garden does.
"""

from __future__ import annotations

from typing import Any

from imagine_core.api import ImagineError, RcnnBoxPredictor
from imagine_plugins.models.detections import KerasDetector, as_float32, pixel_boxes, to_contract
from imagine_plugins.models.matchers import target_gather
from imagine_plugins.models.retinanet import NMS_VERSION

RPN_MATCH, RPN_UNMATCHED = 0.7, 0.3  # the TF OD API's first-stage IoU thresholds
RPN_HUBER_DELTA = 1.0 / 9.0  # Model Garden's defaults for the two box losses
FRCNN_HUBER_DELTA = 1.0


def float32_heads() -> tuple[type, type]:
    """Model Garden's RPN and detection heads with float32 outputs: under mixed precision
    the region and detection generators' NMS take float32 only. Subclasses, not
    wrappers, so that checkpoints keep their layout."""
    from official.vision.modeling.heads import dense_prediction_heads, instance_heads

    class RPNHead(dense_prediction_heads.RPNHead):
        def call(self, features):
            return as_float32(super().call(features))

    class DetectionHead(instance_heads.DetectionHead):
        def call(self, inputs, training=None):
            return as_float32(super().call(inputs, training=training))

    return RPNHead, DetectionHead


class MaskRcnnBoxPredictor(RcnnBoxPredictor):
    """``mask_rcnn_box_predictor`` (boxes only): Model Garden's DetectionHead on the box
    classifier's features, class logits and per-class box codes (one shared box with
    ``share_box_across_classes``); dropout before it with ``use_dropout``."""

    def __init__(self, config: Any):
        self.config = config
        self.class_agnostic = config.share_box_across_classes
        self.head = None

    def build(self, num_classes: int, fc_layers: int, fc_dims: int) -> Any:
        from imagine_plugins.models.parts import l2, norm_activation

        c = self.config
        norm = norm_activation(c.fc_hyperparams)
        self.head = float32_heads()[1](
            num_classes=num_classes,
            num_convs=0,
            num_fcs=fc_layers,
            fc_dims=fc_dims,
            class_agnostic_bbox_pred=c.share_box_across_classes,
            activation=norm.activation,
            use_sync_bn=norm.use_sync_bn,
            norm_momentum=norm.norm_momentum,
            norm_epsilon=norm.norm_epsilon,
            kernel_regularizer=l2(c.fc_hyperparams),
            name="box_predictor",
        )
        return self.head

    def dropout(self) -> Any:
        import tf_keras

        c = self.config
        if not c.use_dropout or c.dropout_keep_probability >= 1.0:
            return None
        return tf_keras.layers.Dropout(1.0 - c.dropout_keep_probability)


def second_stage_head(fr: Any, extractor: Any, predictor: Any, num_classes: int) -> Any:
    """A Keras layer: crops [batch, rois, size, size, depth] -> (class logits, box codes)."""
    import tensorflow as tf
    import tf_keras

    pool = fr.maxpool_kernel_size, fr.maxpool_stride
    head = predictor.build(num_classes, extractor.fc_layers, extractor.fc_dims)
    dropout = predictor.dropout()

    class SecondStage(tf_keras.layers.Layer):
        def __init__(self):
            super().__init__(name="second_stage")
            self.box_classifier = extractor.box_classifier
            self.head = head
            self.dropout = dropout

        def call(self, crops, training=None):
            _, rois, size, _, depth = crops.shape
            x = tf.reshape(crops, [-1, size, size, depth])
            if pool[0] and pool[1]:
                x = tf.nn.max_pool2d(x, pool[0], pool[1], "VALID")
            if self.box_classifier is not None:
                x = self.box_classifier(x, training=training)
                x = tf.reduce_mean(x, [1, 2], keepdims=True)
            x = tf.reshape(x, [-1, rois, *x.shape[1:]])
            if self.dropout is not None:
                x = self.dropout(x, training=training)
            return self.head(x, training=training)

    return SecondStage()


def _refuse_what_cannot_train(fr: Any) -> None:
    resizer = fr.image_resizer.keep_aspect_ratio_resizer
    chosen = fr.image_resizer.WhichOneof("image_resizer_oneof")
    if chosen == "keep_aspect_ratio_resizer" and not resizer.pad_to_max_dimension:
        # The models plugin's imagine_fit_pipeline pads: a pipeline it did not fit.
        raise ImagineError(
            "faster_rcnn needs one static image size (its anchors and region-proposal "
            "targets), but the keep-aspect-ratio resizer does not pad",
            where="model.faster_rcnn.image_resizer.keep_aspect_ratio_resizer",
            fix="set pad_to_max_dimension: true (imagine run and config validate do)",
        )
    if chosen not in ("keep_aspect_ratio_resizer", "fixed_shape_resizer"):
        raise ImagineError(
            "faster_rcnn trains on images of one size, but the image resizer leaves "
            "their sizes free",
            where="model.faster_rcnn.image_resizer",
            fix="use a keep_aspect_ratio_resizer or a fixed_shape_resizer",
        )
    if fr.number_of_stages != 2:
        raise ImagineError(
            f"number_of_stages {fr.number_of_stages} is not supported",
            where="model.faster_rcnn.number_of_stages",
            fix="use 2 (a region proposal network alone is not a glyph detector)",
        )


def _rpn_head(fr: Any, anchors: Any) -> Any:
    from imagine_plugins.models.parts import l2, norm_activation

    hyper = fr.first_stage_box_predictor_conv_hyperparams
    norm = norm_activation(hyper)
    return float32_heads()[0](
        min_level=anchors.min_level,
        max_level=anchors.max_level,
        num_anchors_per_location=anchors.per_location,
        num_filters=fr.first_stage_box_predictor_depth,
        activation=norm.activation,
        use_sync_bn=norm.use_sync_bn,
        norm_momentum=norm.norm_momentum,
        norm_epsilon=norm.norm_epsilon,
        kernel_regularizer=l2(hyper),
    )


def _region_stages(fr: Any) -> dict[str, Any]:
    """Proposals, their sampling for the second stage, its crops and its detections."""
    from official.vision.modeling.layers import (
        detection_generator,
        roi_aligner,
        roi_generator,
        roi_sampler,
    )

    proposals = fr.first_stage_max_proposals
    post = fr.second_stage_post_processing
    nms = post.batch_non_max_suppression
    return {
        "roi_generator": roi_generator.MultilevelROIGenerator(
            pre_nms_score_threshold=fr.first_stage_nms_score_threshold,
            nms_iou_threshold=fr.first_stage_nms_iou_threshold,
            num_proposals=proposals,
            test_pre_nms_score_threshold=fr.first_stage_nms_score_threshold,
            test_nms_iou_threshold=fr.first_stage_nms_iou_threshold,
            test_num_proposals=proposals,
            # use_static_shapes: Model Garden's padded NMS (XLA/TPU); else
            # tf.image.combined_non_max_suppression, fast on a CPU.
            use_batched_nms=not fr.use_static_shapes,
        ),
        "roi_sampler": roi_sampler.ROISampler(
            num_sampled_rois=fr.second_stage_batch_size,
            foreground_fraction=fr.second_stage_balance_fraction,
        ),
        "roi_aligner": roi_aligner.MultilevelROIAligner(crop_size=fr.initial_crop_size or 14),
        "detection_generator": detection_generator.DetectionGenerator(
            pre_nms_score_threshold=max(nms.score_threshold, 1e-8),
            nms_iou_threshold=nms.iou_threshold,
            max_num_detections=nms.max_total_detections,
            nms_version="v2" if fr.use_static_shapes else NMS_VERSION,  # v2: padded, static
            use_sigmoid_probability=post.score_converter == post.SIGMOID,
        ),
    }


class FasterRcnnDetector(KerasDetector):
    """preprocess -> predict -> loss (training) or postprocess (detections in pixels)."""

    def __init__(self, fr: Any, ctx: Any):
        import tensorflow as tf
        from official.vision.modeling import maskrcnn_model

        from imagine_plugins.models.plugin import FASTER_RCNN_NEEDS

        _refuse_what_cannot_train(fr)
        self.fr = fr
        self.num_classes = fr.num_classes

        def part(name: str) -> Any:
            where = f"model.faster_rcnn.{name}"
            return ctx.build(getattr(fr, name), contract=FASTER_RCNN_NEEDS[name], where=where)

        self.anchor_generator = part("first_stage_anchor_generator")
        extractor = self.extractor = part("feature_extractor")
        predictor = part("second_stage_box_predictor")
        self.min_level = self.anchor_generator.min_level
        self.max_level = self.anchor_generator.max_level
        backbone, decoder = extractor.build(self.min_level, self.max_level)
        self.head = second_stage_head(fr, extractor, predictor, self.num_classes + 1)
        self.nms = fr.second_stage_post_processing.batch_non_max_suppression
        self.class_agnostic = predictor.class_agnostic
        self.model = maskrcnn_model.MaskRCNNModel(
            backbone=backbone,
            decoder=decoder,
            rpn_head=_rpn_head(fr, self.anchor_generator),
            detection_head=self.head,
            **_region_stages(fr),
            class_agnostic_bbox_pred=self.class_agnostic,
            min_level=self.min_level,
            max_level=self.max_level,
        )
        self.classification_loss = (
            ctx.build(fr.second_stage_classification_loss)
            if fr.HasField("second_stage_classification_loss")
            else None
        )
        self.gather = target_gather(fr.use_matmul_gather_in_matcher)
        self._groundtruth: dict[str, Any] = {}
        side = 4 * self.stride()
        self.detect(tf.zeros([1, side, side, 3]))  # creates every weight
        frozen = fr.freeze_batchnorm or (
            fr.feature_extractor.HasField("batch_norm_trainable")
            and not fr.feature_extractor.batch_norm_trainable
        )
        if frozen:
            self.freeze_batchnorm()

    def stride(self) -> int:
        return 2**self.max_level

    def _anchors(self, height: int, width: int) -> dict[str, Any]:
        return dict(self.anchor_generator((height, width)))

    def label_fn(self, example: dict[str, Any]) -> dict[str, Any]:
        """Region-proposal targets for one example of the input pipeline."""
        import tensorflow as tf
        from official.vision.ops import anchor

        height, width = example["image"].shape[0], example["image"].shape[1]
        labels = example["groundtruth_classes"][: example["num_groundtruth_boxes"]] + 1
        labeler = anchor.RpnAnchorLabeler(
            RPN_MATCH,
            RPN_UNMATCHED,
            self.fr.first_stage_minibatch_size,
            self.fr.first_stage_positive_balance_fraction,
        )
        labeler.target_gather = self.gather  # use_matmul_gather_in_matcher
        scores, boxes = labeler.label_anchors(
            self._anchors(height, width), pixel_boxes(example), tf.expand_dims(labels, -1)
        )
        return {**example, "rpn_score_targets": scores, "rpn_box_targets": boxes}

    def provide_groundtruth(self, groundtruth: dict[str, Any]) -> None:
        """The boxes the second stage samples its regions against (pixels, 1-based
        classes; padding rows -1), as Mask R-CNN's ROI sampler wants them."""
        import tensorflow as tf

        true = tf.cast(groundtruth["true_image_shape"][:, :2], tf.float32)
        scale = tf.concat([true, true], -1)[:, None, :]
        classes = groundtruth["groundtruth_classes"]
        valid = classes >= 0
        boxes = groundtruth["groundtruth_boxes"] * scale
        self._groundtruth = {
            "gt_boxes": tf.where(valid[..., None], boxes, -tf.ones_like(boxes)),
            "gt_classes": tf.where(valid, classes + 1, -tf.ones_like(classes)),
        }

    def predict(self, images, true_image_shapes, training: bool = False):
        import tensorflow as tf

        batch = tf.shape(images)[0]
        anchors = {
            level: tf.tile(boxes[None], [batch, 1, 1, 1])
            for level, boxes in self._anchors(*images.shape[1:3]).items()
        }
        extra = self._groundtruth if training else {}
        if training and not extra:
            raise ImagineError(
                "faster_rcnn trains only with the ground truth given first",
                fix="call provide_groundtruth(batch) before predict(…, training=True)",
            )
        return self.model(
            images,
            image_shape=true_image_shapes,
            anchor_boxes=anchors,
            training=training,
            **extra,
        )

    def loss(self, predictions, groundtruth):
        import tensorflow as tf
        from official.vision.losses import maskrcnn_losses

        predictions = as_float32(predictions)
        fr = self.fr
        rpn_scores = maskrcnn_losses.RpnScoreLoss(fr.first_stage_minibatch_size)(
            predictions["rpn_scores"], groundtruth["rpn_score_targets"]
        )
        rpn_boxes = maskrcnn_losses.RpnBoxLoss(RPN_HUBER_DELTA)(
            predictions["rpn_boxes"], groundtruth["rpn_box_targets"]
        )
        classes, targets = predictions["class_outputs"], predictions["class_targets"]
        if self.classification_loss is None:
            cls_loss = maskrcnn_losses.FastrcnnClassLoss()(classes, targets)
        else:  # second_stage_classification_loss: a registry loss, averaged over regions
            one_hot = tf.one_hot(tf.cast(targets, tf.int32), self.num_classes + 1)
            regions = tf.cast(tf.size(targets), tf.float32)
            weights = tf.ones_like(targets, tf.float32) / regions
            cls_loss = self.classification_loss(classes, one_hot, weights)
        box_loss = maskrcnn_losses.FastrcnnBoxLoss(FRCNN_HUBER_DELTA, self.class_agnostic)(
            predictions["box_outputs"], targets, predictions["box_targets"]
        )
        return {
            "rpn_objectness": rpn_scores * fr.first_stage_objectness_loss_weight,
            "rpn_localization": rpn_boxes * fr.first_stage_localization_loss_weight,
            "classification": cls_loss * fr.second_stage_classification_loss_weight,
            "localization": box_loss * fr.second_stage_localization_loss_weight,
        }

    def postprocess(self, predictions, true_image_shapes):
        return to_contract(predictions, self.nms)
