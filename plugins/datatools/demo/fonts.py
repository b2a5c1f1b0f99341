"""Fonts that exist offline: the user's, Debian's DejaVu, matplotlib's copy, Pillow's own."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from imagine_core.api import ImagineError

SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)


def _matplotlib_font() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")  # its folder only: matplotlib is not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "mpl-data/fonts/ttf/DejaVuSerif.ttf"
    return path if path.is_file() else None


def default_font() -> str:
    """The first font found: DejaVu Serif from the system or matplotlib, else Pillow's."""
    for path in (*SYSTEM_FONTS, _matplotlib_font()):
        if path is not None and path.is_file():
            return str(path)
    return "pillow-default"


@lru_cache(maxsize=64)
def load_font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font at ``size`` px; ``name`` is a .ttf/.otf path or 'pillow-default'."""
    if name == "pillow-default":
        return ImageFont.load_default(size)
    path = Path(name).expanduser()
    if not path.is_file():
        raise ImagineError("font file not found", where=name, fix="name a .ttf or .otf file")
    try:
        return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        raise ImagineError(
            f"cannot load the font: {exc}",
            where=name,
            fix="name a TrueType (.ttf) or OpenType (.otf) font",
        ) from None
