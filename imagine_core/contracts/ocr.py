"""Contracts of the OCR side: from a page image to glyphs, to lines and words, to files.

The page structure (``Page`` > ``Region`` > ``Line`` > ``Word`` > ``Glyph``) lives here,
TensorFlow-free, so that a third-party writer or assembler needs nothing but the core.
Boxes are ``(xmin, ymin, xmax, ymax)`` in page pixels; scores are 0..1.
"""

from __future__ import annotations

import statistics
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BoxXY = tuple[float, float, float, float]


def union(boxes: list[BoxXY]) -> BoxXY:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


@dataclass
class Glyph:
    """One detected character."""

    box: BoxXY
    char: str
    score: float
    uncertain: bool = False  # score below the page reader's low-confidence mark
    # (character, score) the model also found at this place, best first (the chosen one
    # included); empty where the detector gives none
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def centre_y(self) -> float:
        return (self.box[1] + self.box[3]) / 2


@dataclass
class Word:
    glyphs: list[Glyph]

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs)

    @property
    def box(self) -> BoxXY:
        return union([g.box for g in self.glyphs])

    @property
    def score(self) -> float:
        return statistics.fmean(g.score for g in self.glyphs)


@dataclass
class Line:
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def glyphs(self) -> list[Glyph]:
        return [g for w in self.words for g in w.glyphs]

    @property
    def box(self) -> BoxXY:
        return union([w.box for w in self.words])

    @property
    def score(self) -> float:
        return statistics.fmean(g.score for g in self.glyphs)


@dataclass
class Region:
    """A text block read as a unit: one column of a multi-column page."""

    lines: list[Line]

    @property
    def box(self) -> BoxXY:
        return union([line.box for line in self.lines])


@dataclass
class Page:
    """A recognised page in reading order, plus what writers need to name and place it."""

    name: str  # output file stem, e.g. 'scan' or 'scan_p2' for a TIFF's second page
    width: int
    height: int
    regions: list[Region] = field(default_factory=list)
    image_path: Path | None = None  # the source file, when there is one
    image: Any = None  # the page as an RGB numpy array, for overlays
    direction: str = "ltr"
    page_in_file: int | None = None  # which page of a multi-page file (from 0); None: one

    @property
    def lines(self) -> list[Line]:
        return [line for region in self.regions for line in region.lines]

    @property
    def glyphs(self) -> list[Glyph]:
        return [g for line in self.lines for g in line.glyphs]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class Detector(ABC):
    """A trained model ready to find glyphs: a restored run or an exported SavedModel."""

    stride: int = 32  # image sides must be multiples of this
    input_size: int = 0  # the square size it was trained at (0: not fixed)
    fixed_input: bool = False  # true: it takes tiles of exactly input_size, no other

    @abstractmethod
    def detect(self, images: Any) -> list[dict[str, Any]]:
        """Detections on a batch (N x H x W x 3, RGB 0..255): per image a dict of
        ``boxes`` (xmin, ymin, xmax, ymax pixels), ``labels`` (characters), ``scores``,
        and optionally ``alternatives``: per detection, (character, score) pairs found at
        its place, best first."""


class PageReader(ABC):
    """Detects every glyph on page images with a detector (tiling large pages)."""

    @abstractmethod
    def read(self, detector: Detector, images: list[Any]) -> list[list[Glyph]]:
        """Glyphs of each page (RGB uint8 arrays), in page pixels, in no particular order."""


class TextAssembler(ABC):
    """Groups glyphs into regions, lines and words, in reading order."""

    @abstractmethod
    def assemble(self, glyphs: list[Glyph], direction: str = "ltr") -> list[Region]:
        """Return the page's regions (columns) with their lines and words."""


class Writer(ABC):
    """Writes a recognised page in one output format (txt, hOCR, ALTO, PAGE …)."""

    suffix: str = ""  # what the file name ends with, e.g. '.hocr'

    @abstractmethod
    def write(self, page: Page, out_dir: Path) -> Path:
        """Write the page; return the file written."""
