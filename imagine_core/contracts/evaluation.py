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

    def tables(self) -> list[Any]:
        """Rich renderables that explain the result (per page, most frequent errors …)."""
        return []
