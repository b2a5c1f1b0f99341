"""Contract of exporters (SavedModel, TFLite …) and of the loaders of model folders."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class Exporter(ABC):
    @abstractmethod
    def export(self, pipeline: Any, checkpoint: Path, out_dir: Path) -> Path:
        """Write the exported model under ``out_dir``; return its path."""


class ModelLoader(ABC):
    """Reads back a model folder in one layout — a run folder of ``imagine run``, what an
    exporter wrote — for ``imagine ocr``, ``imagine eval``, ``imagine export``, ``imagine
    infer`` and the Python API (``imagine.load``). Whoever writes a layout registers its
    loader; the core knows none."""

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

    def latest_checkpoint(self, folder: Path) -> Path:
        """The newest checkpoint, for a layout that holds a trainable model (a run)."""
        raise self._not_trainable(folder)

    def restore(self, folder: Path, checkpoint: Path | None = None) -> tuple[Any, Any, Any]:
        """The pipeline, the trainable model with the checkpoint's weights, the label map."""
        raise self._not_trainable(folder)

    def _not_trainable(self, folder: Path) -> Exception:
        from imagine_core.errors import ImagineError

        return ImagineError(
            "this folder holds an exported model, not the checkpoints of a run",
            where=str(folder),
            fix="pass the run folder that `imagine run` wrote (evaluation and export "
            "start from its checkpoints)",
        )


class TrainedModel(ABC):
    """A model a plugin ships, ready to read or to start a run from, under a name
    (``imagine ocr --model NAME``; ``base``: the one read with when no model is given).
    Its folder is in a layout some ``model_loader`` reads (a run folder, an export)."""

    @abstractmethod
    def folder(self) -> Path:
        """Where the model's files are."""
