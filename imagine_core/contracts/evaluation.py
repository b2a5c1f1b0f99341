"""Contract of evaluators (``eval_config.metrics_set``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class Evaluator(ABC):
    """Accumulates ground truth and detections, then reports metrics."""

    @abstractmethod
    def add(self, groundtruth: dict[str, Any], detections: dict[str, Any]) -> None:
        """Add one image's ground truth and detections."""

    @abstractmethod
    def result(self) -> dict[str, float]:
        """Return the metrics by name (e.g. 'mAP', 'CER')."""

    def primary(self, result: dict[str, float]) -> float | None:
        """The one figure a sweeper minimises (lower is better: an error rate, or 1 - mAP);
        None when this evaluator has none. A text metric wins over a detection metric."""
        return None

    def tables(self) -> list[Any]:
        """Rich renderables that explain the result (per page, most frequent errors …)."""
        return []
