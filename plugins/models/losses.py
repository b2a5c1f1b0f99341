"""The TF OD API's losses as components, and its online hard example miner.

Each loss takes predictions and targets shaped ``[batch, anchors, k]`` and per-anchor
weights ``[batch, anchors]``; ``per_anchor`` gives the unweighted loss of every anchor
(what the hard example miner ranks), ``__call__`` the weighted sum. Localization losses
with ``needs_boxes`` compare decoded boxes (ymin, xmin, ymax, xmax), not box encodings:
the meta-architecture decodes both sides with its anchors first.
"""

from __future__ import annotations

from typing import Any

from imagine_core.api import Loss


class AnchorLoss(Loss):
    needs_boxes = False

    def __init__(self, config: Any):
        self.config = config

    def per_anchor(self, predictions, targets):
        raise NotImplementedError

    def __call__(self, predictions, targets, weights):
        import tensorflow as tf

        return tf.reduce_sum(self.per_anchor(predictions, targets) * weights)


class WeightedSigmoidLoss(AnchorLoss):
    """Sigmoid cross-entropy summed over classes (background a class of its own)."""

    def per_anchor(self, predictions, targets):
        import tensorflow as tf

        ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=predictions)
        return tf.reduce_sum(ce, axis=-1)


class WeightedSoftmaxLoss(AnchorLoss):
    """Softmax cross-entropy over the classes; ``logit_scale`` divides the logits."""

    def per_anchor(self, predictions, targets):
        import tensorflow as tf

        scale = self.config.logit_scale or 1.0
        return tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=predictions / scale)


class WeightedL2Loss(AnchorLoss):
    """0.5 * squared error summed over the box code."""

    def per_anchor(self, predictions, targets):
        import tensorflow as tf

        return 0.5 * tf.reduce_sum(tf.square(predictions - targets), axis=-1)


class WeightedIouLoss(AnchorLoss):
    """1 - IoU of the decoded predicted and target boxes."""

    needs_boxes = True

    def per_anchor(self, predictions, targets):
        import tensorflow as tf

        def area(b):
            return tf.maximum(b[..., 2] - b[..., 0], 0.0) * tf.maximum(b[..., 3] - b[..., 1], 0.0)

        top_left = tf.maximum(predictions[..., :2], targets[..., :2])
        bottom_right = tf.minimum(predictions[..., 2:], targets[..., 2:])
        overlap = tf.reduce_prod(tf.maximum(bottom_right - top_left, 0.0), axis=-1)
        union = area(predictions) + area(targets) - overlap
        return 1.0 - tf.math.divide_no_nan(overlap, union)


class SigmoidFocalLoss(AnchorLoss):
    """Focal loss (Model Garden's), summed over classes."""

    def __init__(self, config: Any):
        import tf_keras
        from official.vision.losses import focal_loss

        super().__init__(config)
        self.op = focal_loss.FocalLoss(
            alpha=config.alpha if config.HasField("alpha") else 0.25,
            gamma=config.gamma,
            reduction=tf_keras.losses.Reduction.SUM,
        )

    def per_anchor(self, predictions, targets):
        import tensorflow as tf

        return tf.reduce_sum(self.op.call(targets, predictions), axis=-1)

    def __call__(self, predictions, targets, weights):
        return self.op(y_true=targets, y_pred=predictions, sample_weight=weights)


class SmoothL1Loss(AnchorLoss):
    """Huber loss (tf_keras'), averaged over the box code."""

    def __init__(self, config: Any):
        import tf_keras

        super().__init__(config)
        self.op = tf_keras.losses.Huber(config.delta, reduction=tf_keras.losses.Reduction.SUM)

    def per_anchor(self, predictions, targets):
        return self.op.call(targets, predictions)

    def __call__(self, predictions, targets, weights):
        return self.op(y_true=targets, y_pred=predictions, sample_weight=weights)


class HardExampleMiner:
    """SSD's online hard example mining: per image, every positive anchor and the hardest
    negatives — ranked by loss, overlapping ones (``iou_threshold``) suppressed, at most
    ``max_negatives_per_positive`` per positive (but ``min_negatives_per_image``), and
    ``num_hard_examples`` anchors in all."""

    def __init__(self, config: Any):
        self.config = config

    def __call__(self, cls_losses, loc_losses, boxes, positives):
        """Weights (1 kept, 0 dropped) per anchor, ``[batch, anchors]``.

        ``cls_losses``/``loc_losses``: per-anchor losses; ``boxes``: each anchor's decoded
        predicted box; ``positives``: anchors matched to a glyph."""
        import tensorflow as tf

        c = self.config
        kind = c.loss_type  # 0 both, 1 classification, 2 localization
        losses = cls_losses if kind == 1 else loc_losses if kind == 2 else cls_losses + loc_losses
        limit = c.num_hard_examples if c.num_hard_examples > 0 else tf.shape(losses)[1]

        def one(args):
            loss, box, positive = args
            keep = tf.image.non_max_suppression(box, loss, limit, c.iou_threshold)
            kept_positive = tf.gather(positive, keep)
            count = tf.reduce_sum(tf.cast(kept_positive, tf.float32))
            allowed = (
                tf.cast(c.max_negatives_per_positive * count, tf.int32)
                if c.max_negatives_per_positive > 0
                else tf.shape(keep)[0]
            )
            allowed = tf.maximum(c.min_negatives_per_image, allowed)
            negative = tf.logical_not(kept_positive)
            rank = tf.cumsum(tf.cast(negative, tf.int32))  # hardest first: NMS keeps by loss
            chosen = tf.logical_or(kept_positive, tf.logical_and(negative, rank <= allowed))
            selected = tf.boolean_mask(keep, chosen)
            mask = tf.scatter_nd(
                selected[:, None], tf.ones_like(selected, tf.float32), tf.shape(loss)
            )
            # Every positive counts, whether or not NMS kept it (the TF OD API's miner
            # does the same through its positive weights).
            return tf.maximum(mask, tf.cast(positive, tf.float32))

        return tf.map_fn(
            one, (losses, boxes, positives), fn_output_signature=tf.TensorSpec([None], tf.float32)
        )
