"""Contracts of training: where it runs and how parameters are updated."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class Runner(ABC):
    """Runs a pipeline on some hardware (a ``tf.distribute`` strategy)."""

    #: False on a worker of a cluster that is not its chief: it trains in step with the
    #: others but writes nothing into the run folder (the chief writes pipeline.config,
    #: checkpoints, events and metrics.json), so workers sharing a folder never collide.
    chief: bool = True

    @abstractmethod
    def run(self, pipeline: Any, run_dir: Path) -> dict[str, float]:
        """Train and evaluate; write into ``run_dir``; return the final metrics.

        The metric under the key ``primary`` is what ``imagine run`` returns to Hydra,
        so sweepers can optimise it; lower is always better (an error rate, or 1 - a
        score), so every sweeper minimises it."""


class Optimizer(ABC):
    @abstractmethod
    def __call__(self, learning_rate: Any) -> Any:
        """Return an optimizer object for the given learning-rate schedule."""


class LearningRate(ABC):
    @abstractmethod
    def __call__(self, step: Any) -> Any:
        """Return the learning rate at ``step``."""
