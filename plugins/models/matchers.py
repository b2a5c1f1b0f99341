"""``bipartite_matcher``: each ground-truth box gets exactly one anchor.

Greedy, like the TF OD API's: repeatedly the most similar remaining (anchor, box) pair is
matched and both leave the pool. Model Garden has no such matcher; this one is a
``tf.while_loop`` over the boxes, so it runs inside the input pipeline's graph.
"""

from __future__ import annotations

from typing import Any

from imagine_core.contracts import Matcher


class GreedyBipartiteMatcher(Matcher):
    """Returns what Model Garden's ``BoxMatcher`` does: per anchor the matched box's
    index and an indicator, 1 matched, -1 unmatched (a negative); never -2 (ignored)."""

    def __init__(self, config: Any = None):
        self.config = config

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
