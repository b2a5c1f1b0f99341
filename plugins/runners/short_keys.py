"""``lr``, ``steps``, ``batch_size`` and ``start_from``: the short keys of the training
fields this plugin reads, for sweeps (``imagine run -m lr=0.01,0.003``) and switches
(``start_from=scratch``)."""

from __future__ import annotations

import math
from typing import Any

from imagine_core.api import ConfigError, ShortKey

# The field of each schedule's base learning rate (protos/optimizer.proto).
RATE_FIELDS = {
    "constant_learning_rate": "learning_rate",
    "exponential_decay_learning_rate": "initial_learning_rate",
    "manual_step_learning_rate": "initial_learning_rate",
    "cosine_decay_learning_rate": "learning_rate_base",
}


def _whole(key: str, field: str) -> ShortKey:
    def target(value: Any, cfg: Any) -> tuple[str, int]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"{key} must be a whole number >= 1, got {value!r}",
                where=f"command line: {key}={value}",
            )
        return f"train_config.{field}", value

    return ShortKey(key, f"train_config.{field}", target)


def _learning_rate(value: Any, cfg: Any) -> tuple[str, float]:
    number = not isinstance(value, bool) and isinstance(value, int | float)
    if not number or not math.isfinite(value) or value <= 0:
        raise ConfigError(
            f"lr must be a positive, finite number, got {value!r}",
            where=f"command line: lr={value}",
        )
    optimizer = (cfg.get("train_config") or {}).get("optimizer") or {}
    for name in ("adam_optimizer", "momentum_optimizer", "rms_prop_optimizer"):
        schedule = (optimizer.get(name) or {}).get("learning_rate") or {}
        for kind, rate in RATE_FIELDS.items():
            if schedule.get(kind) is not None:
                return f"train_config.optimizer.{name}.learning_rate.{kind}.{rate}", float(value)
    raise ConfigError(
        "lr= needs an optimizer with a learning rate schedule, and the pipeline has none",
        where="train_config.optimizer",
        fix="choose a train group (e.g. train=adam_cosine) or set the optimizer",
    )


def _start_from(value: Any, cfg: Any) -> tuple[str, str]:
    if not isinstance(value, str):
        raise ConfigError(
            f"start_from names a shipped model or 'scratch', got {value!r}",
            where=f"command line: start_from={value}",
        )
    return "train_config.start_from", value


SHORT_KEYS = [
    ShortKey("lr", "the base learning rate of whatever schedule train_config uses", _learning_rate),
    _whole("steps", "num_steps"),
    _whole("batch_size", "batch_size"),
    ShortKey("start_from", "the shipped model a run starts from, or scratch", _start_from),
]
