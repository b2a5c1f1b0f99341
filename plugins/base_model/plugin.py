"""Hooks of the base-model plugin: the shipped model, registered as trained model ``base``."""

from __future__ import annotations

import os
from pathlib import Path

from imagine_core.api import TrainedModel, hookimpl

FOLDER = Path(__file__).resolve().parent / "model"
# Another folder to use as the base model (a refreshed one, a model of one's own script):
# every command that reads or starts from ``base`` then uses it.
ENV = "IMAGINE_BASE_MODEL"


class ShippedModel(TrainedModel):
    """A model folder inside this package."""

    def __init__(self, folder: Path):
        self._folder = folder

    def folder(self) -> Path:
        return self._folder


def shipped(folder: Path) -> bool:
    """Whether the model's files are there (a checkpoint index beside its pipeline)."""
    checkpoint = folder / "checkpoints" / "checkpoint"
    return (folder / "pipeline.config").is_file() and checkpoint.is_file()


@hookimpl
def imagine_register(registry):
    folder = Path(os.environ.get(ENV) or FOLDER)
    if shipped(folder):
        registry.add(
            "trained_model",
            "base",
            factory=lambda **_: ShippedModel(folder),
            description="the base glyph model imagine ships (base_model/model/README.md)",
        )
