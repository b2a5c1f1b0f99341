"""Contracts of the data side: reading and writing annotated pages, augmenting them."""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imagine_core.labelmap import LabelMap

# The label of an ignore region (KITTI's name for it): neither glyph nor background.
# Training neither rewards nor punishes detections there — how a partly marked page
# teaches no wrong negatives. It is never a class of the label map.
IGNORE = "DontCare"


@dataclass
class Box:
    """One marked object in pixel coordinates; ``label`` is the character (NFC), or
    :data:`IGNORE` for a region that is neither glyph nor background."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    label: str
    difficult: bool = False
    group_of: bool = False
    truncated: bool = False
    line: int = 0  # where it is written in its annotation file, for reports

    @property
    def ignore(self) -> bool:
        return self.label == IGNORE

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def height(self) -> float:
        return self.ymax - self.ymin


@dataclass
class Example:
    """The record every dataset reader yields, whatever its source format.

    ``image`` is a path, or the encoded bytes when the source holds them (TFRecord).
    """

    image: Path | bytes
    width: int
    height: int
    boxes: list[Box] = field(default_factory=list)
    source: str = ""  # the annotation file (or record) this came from, for reports
    filename: str = ""  # the image's file name, for writers
    text: str | None = None  # the page's true text, where known (a .gt.txt beside it)
    # Image-level labels (Open Images): a class verified present (True) or absent (False)
    # on the page, whether boxed or not; the challenge metric counts only such classes.
    verified: dict[str, bool] = field(default_factory=dict)
    # Detections saved with the page (the TF OD API's image/detection/* keys, as its
    # infer_detections writes them): (xmin, ymin, xmax, ymax) in pixels, label, score.
    detections: list[tuple[tuple[float, float, float, float], str, float]] | None = None

    @property
    def name(self) -> str:
        if self.filename:
            return self.filename
        return self.image.name if isinstance(self.image, Path) else Path(self.source).name

    def image_bytes(self) -> bytes:
        return self.image if isinstance(self.image, bytes) else self.image.read_bytes()

    def save_image(self, folder: Path) -> Path:
        """Put the image into ``folder`` under :attr:`name` (copied, or written from bytes)."""
        target = folder / self.name
        if isinstance(self.image, Path):
            if self.image.resolve() != target.resolve():
                shutil.copyfile(self.image, target)
        else:
            target.write_bytes(self.image)
        return target


class DatasetReader(ABC):
    """Reads annotated images from one source format (LabelImg, YOLO, COCO, TFRecord …).

    ``items`` lists cheap handles (files, records) in a stable order and ``parse``
    reads one, so that a caller can skip a broken item and go on with the rest.
    """

    @abstractmethod
    def items(self) -> Iterator[Any]:
        """Handles of every example, in a deterministic order."""

    @abstractmethod
    def parse(self, item: Any) -> Example:
        """Read one example; raise DataError naming the file (and line) on bad input."""

    def read(self) -> Iterator[Example]:
        """Every example; the first bad one raises."""
        for item in self.items():
            yield self.parse(item)

    def notes(self) -> list[tuple[str, str]]:
        """(where, what) of things in the source that ``items`` leaves out on purpose —
        files in sub-folders, say — so that nothing is passed over unnamed. Complete
        once ``items`` has been exhausted."""
        return []


class ExampleChecker(ABC):
    """Checks every example a reader gives — the image decodes and has the size the
    marks say, boxes lie inside it, labels are usable — under one policy (the registry
    name: ``strict``, ``skip``, ``repair``), so bad data is never dropped in silence."""

    @abstractmethod
    def run(self, reader: DatasetReader, progress: str | None = None) -> Any:
        """A result with ``examples`` (what may be used), ``issues`` (each named, with
        what was done about it) and ``items``; ``strict`` raises DataError at the first
        problem. ``progress`` titles a progress bar."""


class DatasetWriter(ABC):
    """Writes examples in one format (TFRecord, COCO, LabelImg, YOLO)."""

    @abstractmethod
    def write(
        self,
        examples: Iterable[Example],
        out_dir: Path,
        label_map: LabelMap,
        *,
        split: str = "train",
        shards: int = 1,
    ) -> list[Path]:
        """Write ``examples`` as the split named ``split``; return the files written."""


class Augmentation(ABC):
    """One data augmentation step of ``train_config.data_augmentation_options``."""

    @abstractmethod
    def __call__(self, image: Any, boxes: Any, labels: Any) -> tuple[Any, Any, Any]:
        """Return the augmented image, boxes (normalised) and labels (tensors)."""
