"""Optimizers and learning-rate schedules with the TF Object Detection API's meaning.

Model Garden's models are tf_keras models, so these are tf_keras optimizers.
"""

from __future__ import annotations

import math
from typing import Any

from imagine_core.api import LearningRate, Optimizer


def _schedule_base() -> type:
    import tf_keras

    return tf_keras.optimizers.schedules.LearningRateSchedule


class Schedule(LearningRate):
    """A LearningRate component; ``keras()`` gives the tf_keras schedule for an optimizer."""

    def __init__(self, config: Any):
        self.config = config

    def keras(self) -> Any:
        outer = self

        class _Keras(_schedule_base()):
            def __call__(self, step):
                return outer(step)

            def get_config(self):
                return {}

        return _Keras()


class ConstantRate(Schedule):
    def __call__(self, step):
        import tensorflow as tf

        return tf.constant(self.config.learning_rate, tf.float32)


class ExponentialDecay(Schedule):
    def __call__(self, step):
        import tensorflow as tf

        c = self.config
        step = tf.cast(step, tf.float32)
        exponent = (step - c.burnin_steps) / max(c.decay_steps, 1)
        if c.staircase:
            exponent = tf.floor(exponent)
        rate = c.initial_learning_rate * tf.pow(c.decay_factor, tf.maximum(exponent, 0.0))
        rate = tf.maximum(rate, c.min_learning_rate)
        # The TF OD API: a burn-in rate of 0 means the initial rate.
        burnin = c.burnin_learning_rate or c.initial_learning_rate
        return tf.where(step < c.burnin_steps, tf.constant(burnin, tf.float32), rate)


class ManualStep(Schedule):
    def __call__(self, step):
        import tensorflow as tf

        c = self.config
        step = tf.cast(step, tf.float32)
        boundaries = [float(s.step) for s in c.schedule]
        rates = [c.initial_learning_rate] + [s.learning_rate for s in c.schedule]
        rate = tf.constant(rates[0], tf.float32)
        for boundary, value in zip(boundaries, rates[1:], strict=True):
            rate = tf.where(step >= boundary, tf.constant(value, tf.float32), rate)
        if c.warmup and boundaries:  # linear from initial to the first scheduled rate
            ramp = (
                c.initial_learning_rate
                + (rates[1] - c.initial_learning_rate) * step / boundaries[0]
            )
            rate = tf.where(step < boundaries[0], ramp, rate)
        return rate


class CosineDecay(Schedule):
    """Linear warm-up, an optional hold at the base rate, then cosine decay to 0."""

    def __call__(self, step):
        import tensorflow as tf

        c = self.config
        step = tf.cast(step, tf.float32)
        decay_steps = max(c.total_steps - c.warmup_steps - c.hold_base_rate_steps, 1)
        progress = (step - c.warmup_steps - c.hold_base_rate_steps) / decay_steps
        cosine = (
            0.5
            * c.learning_rate_base
            * (1 + tf.cos(math.pi * tf.clip_by_value(progress, 0.0, 1.0)))
        )
        rate = tf.where(
            step < c.warmup_steps + c.hold_base_rate_steps, c.learning_rate_base, cosine
        )
        if c.warmup_steps:
            slope = (c.learning_rate_base - c.warmup_learning_rate) / c.warmup_steps
            rate = tf.where(step < c.warmup_steps, c.warmup_learning_rate + slope * step, rate)
        return tf.where(step >= c.total_steps, 0.0, rate)


class KerasOptimizer(Optimizer):
    def __init__(self, config: Any, slot: Any):
        self.config = config
        self.use_moving_average = slot.use_moving_average
        self.moving_average_decay = slot.moving_average_decay

    def __call__(self, learning_rate):
        import tf_keras

        c = self.config
        common = {
            "learning_rate": learning_rate,
            "use_ema": self.use_moving_average,
            "ema_momentum": self.moving_average_decay,
        }
        kind = c.DESCRIPTOR.name
        if kind == "AdamOptimizer":
            return tf_keras.optimizers.Adam(epsilon=c.epsilon, **common)
        if kind == "MomentumOptimizer":
            return tf_keras.optimizers.SGD(momentum=c.momentum_optimizer_value, **common)
        return tf_keras.optimizers.RMSprop(
            rho=c.decay, momentum=c.momentum_optimizer_value, epsilon=c.epsilon, **common
        )


SCHEDULES = {
    "constant_learning_rate": ConstantRate,
    "exponential_decay_learning_rate": ExponentialDecay,
    "manual_step_learning_rate": ManualStep,
    "cosine_decay_learning_rate": CosineDecay,
}
OPTIMIZERS = ("adam_optimizer", "momentum_optimizer", "rms_prop_optimizer")
