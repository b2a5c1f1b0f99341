"""Contract of exporters (SavedModel, TFLite …)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class Exporter(ABC):
    @abstractmethod
    def export(self, pipeline: Any, checkpoint: Path, out_dir: Path) -> Path:
        """Write the exported model under ``out_dir``; return its path."""


class ModelLoader(ABC):
    """Reads back a model folder an exporter wrote, for ``imagine ocr``, ``imagine infer``
    and the Python API (``imagine.load``); run folders of ``imagine run`` the core reads
    itself. Whoever writes a layout registers its loader."""

    @abstractmethod
    def recognises(self, folder: Path) -> bool:
        """Whether ``folder`` holds a model in this loader's layout."""

    @abstractmethod
    def config(self, folder: Path) -> tuple[Any, list[str]]:
        """The model's pipeline and class names (``["?", *label map]``: detection class c
        is label id c), without loading the model."""

    @abstractmethod
    def load(self, folder: Path) -> tuple[Any, Any]:
        """The pipeline and the model as a :class:`imagine_core.api.Detector`."""
