"""``bipartite_matcher`` and the matchers' ``use_matmul_gather``.

The bipartite matcher is greedy, like the TF OD API's: repeatedly the most similar
remaining (anchor, box) pair is matched and both leave the pool. Model Garden has no such
matcher; this one is a ``tf.while_loop`` over the boxes, so it runs inside the input
pipeline's graph. ``use_matmul_gather`` gathers each anchor's target with a one-hot
matrix product instead of ``tf.gather`` (TPUs run gathers slowly).
"""

from __future__ import annotations

from typing import Any

from imagine_core.api import Matcher


def target_gather(use_matmul: bool) -> Any:
    """Model Garden's TargetGather, or the same gather done as a one-hot matmul."""
    from official.vision.ops import target_gather

    if not use_matmul:
        return target_gather.TargetGather()

    class MatmulTargetGather(target_gather.TargetGather):
        def _gather_unbatched(self, labels, match_indices, mask, mask_val):
            import tensorflow as tf

            rows = tf.reshape(tf.cast(labels, tf.float32), [tf.shape(labels)[0], -1])
            one_hot = tf.one_hot(match_indices, tf.shape(labels)[0], dtype=tf.float32)
            targets = tf.cast(tf.matmul(one_hot, rows), labels.dtype)
            if len(labels.shape) == 1:
                targets = targets[:, 0]
            fill = tf.cast(mask_val, labels.dtype)
            if mask is not None:
                targets = tf.where(mask, fill, targets)
            # no boxes: every anchor gets the fill value, as TargetGather gives it
            return tf.where(tf.shape(labels)[0] > 0, targets, fill)

    return MatmulTargetGather()


class GreedyBipartiteMatcher(Matcher):
    """Returns what Model Garden's ``BoxMatcher`` does: per anchor the matched box's
    index and an indicator, 1 matched, -1 unmatched (a negative); never -2 (ignored)."""

    def __init__(self, config: Any = None):
        self.config = config
        self.gather = target_gather(bool(config and config.use_matmul_gather))

    def __call__(self, similarity):
        import tensorflow as tf

        anchors, boxes = tf.shape(similarity)[0], tf.shape(similarity)[1]
        taken = tf.constant(-1.0)

        def match(i, sim, columns, indicators):
            flat = tf.argmax(tf.reshape(sim, [-1]), output_type=tf.int32)
            row, column = flat // boxes, flat % boxes
            available = sim[row, column] > taken
            columns = tf.where(
                available, tf.tensor_scatter_nd_update(columns, [[row]], [column]), columns
            )
            indicators = tf.where(
                available, tf.tensor_scatter_nd_update(indicators, [[row]], [1]), indicators
            )
            rows = tf.range(anchors)[:, None] == row
            cols = tf.range(boxes)[None, :] == column
            sim = tf.where(rows | cols, taken, sim)
            return i + 1, sim, columns, indicators

        _, _, columns, indicators = tf.while_loop(
            lambda i, *_: i < tf.minimum(anchors, boxes),
            match,
            (
                tf.constant(0),
                tf.cast(similarity, tf.float32),
                tf.zeros([anchors], tf.int32),
                -tf.ones([anchors], tf.int32),
            ),
        )
        return columns, indicators
