"""Training settings that cannot work, refused before the run starts."""

from __future__ import annotations

import math
from typing import Any

from imagine_core.api import Problem, hookimpl


@hookimpl
def imagine_check_pipeline(pipeline: Any) -> list[Problem]:
    train = pipeline.train_config
    problems = []
    if train.num_steps <= 0:
        problems.append(
            Problem(
                "train_config.num_steps",
                "0 steps: the run would never end",
                "set the number of steps (steps=2500 on the command line)",
            )
        )
    if not math.isfinite(train.gradient_clipping_by_norm):
        problems.append(
            Problem(
                "train_config.gradient_clipping_by_norm",
                "not a finite number",
                "use 0 (off) or a norm",
            )
        )
    return problems
