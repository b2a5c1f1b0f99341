"""Contract of exporters (SavedModel, TFLite …)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class Exporter(ABC):
    @abstractmethod
    def export(self, pipeline: Any, checkpoint: Path, out_dir: Path) -> Path:
        """Write the exported model under ``out_dir``; return its path."""
