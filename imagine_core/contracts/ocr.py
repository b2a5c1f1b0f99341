"""Contracts of the OCR side: from detections on a page to text files."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class PageReader(ABC):
    """Detects every glyph on a page image (tiling large pages)."""

    @abstractmethod
    def read(self, image: Any) -> list[dict[str, Any]]:
        """Return glyphs as dicts with 'box' (pixels), 'char' and 'score'."""


class TextAssembler(ABC):
    """Groups glyphs into words, lines and reading order."""

    @abstractmethod
    def assemble(self, glyphs: list[dict[str, Any]]) -> Any:
        """Return the page's structure (lines of words of glyphs)."""


class Writer(ABC):
    """Writes a recognised page in one output format (txt, hOCR, ALTO, PAGE …)."""

    @abstractmethod
    def write(self, page: Any, out_dir: Path) -> Path:
        """Write the page; return the file written."""
