"""Contracts of the data side: reading annotated pages and augmenting them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Box:
    """One marked object in pixel coordinates; ``label`` is the character (NFC)."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    label: str
    difficult: bool = False
    group_of: bool = False


@dataclass
class Example:
    """The record every dataset reader yields, whatever its source format."""

    image: Path | bytes
    width: int
    height: int
    boxes: list[Box] = field(default_factory=list)
    source: str = ""  # the annotation file (or record) this came from, for reports


class DatasetReader(ABC):
    """Reads annotated images from one source format (LabelImg, COCO, TFRecord …)."""

    @abstractmethod
    def read(self) -> Iterator[Example]:
        """Yield every example; raise ImagineError (naming the file) on bad input."""


class Augmentation(ABC):
    """One data augmentation step of ``train_config.data_augmentation_options``."""

    @abstractmethod
    def __call__(self, image: Any, boxes: Any, labels: Any) -> tuple[Any, Any, Any]:
        """Return the augmented image, boxes (normalised) and labels (tensors)."""
