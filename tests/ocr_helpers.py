"""Glyphs set in a real font, and pages made of them, for the OCR tests."""

from __future__ import annotations

import math

from imagine_core.api import Glyph, Page
from imagine_plugins.datatools.demo.fonts import default_font, load_font
from imagine_plugins.ocr.assemble import LineAssembler


def set_text(
    lines: list[str],
    size: int = 20,
    left: float = 30.0,
    top: float = 40.0,
    spacing: float = 1.5,
    skew_degrees: float = 0.0,
    rtl: bool = False,
    width: float = 0.0,
) -> list[Glyph]:
    """Glyph boxes of ``lines`` set in DejaVu Serif; ``rtl`` sets each line from the right
    edge (``left + width``) leftwards, the first character rightmost."""
    font = load_font(default_font(), size)
    ascent, descent = font.getmetrics()
    glyphs = []
    slope = math.tan(math.radians(skew_degrees))
    for row, line in enumerate(lines):
        baseline = top + row * (ascent + descent) * spacing + ascent
        x = left + width if rtl else left
        for ch in line:
            advance = font.getlength(ch)
            if rtl:
                x -= advance
            if not ch.isspace():
                x0, y0, x1, y1 = font.getbbox(ch, anchor="ls")
                dy = slope * x
                glyphs.append(
                    Glyph((x + x0, baseline + y0 + dy, x + x1, baseline + y1 + dy), ch, 0.9)
                )
            if not rtl:
                x += advance
    return glyphs


def page_of(lines: list[str], name: str = "page", **layout) -> Page:
    """A recognised page of ``lines`` (every third glyph uncertain)."""
    glyphs = set_text(lines, **layout)
    for i, g in enumerate(glyphs):
        if i % 3 == 0:
            g.score, g.uncertain = 0.42, True
    regions = LineAssembler().assemble(glyphs, "rtl" if layout.get("rtl") else "ltr")
    width = int(max(g.box[2] for g in glyphs)) + 30
    height = int(max(g.box[3] for g in glyphs)) + 30
    return Page(name, width, height, regions, direction="rtl" if layout.get("rtl") else "ltr")
