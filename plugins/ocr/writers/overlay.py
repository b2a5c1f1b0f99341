"""An overlay PNG: the page with every glyph's box and recognised character; uncertain
glyphs in red, the rest in blue."""

from __future__ import annotations

import io
from pathlib import Path

from imagine_core.api import Page, Writer, write_atomic

SURE, UNSURE = (0, 90, 255), (230, 0, 0)


class OverlayWriter(Writer):
    suffix = ".overlay.png"

    def write(self, page: Page, out_dir: Path) -> Path:
        from PIL import Image, ImageDraw, ImageFont

        if page.image is not None:
            base = Image.fromarray(page.image).convert("RGB")
        else:
            base = Image.new("RGB", (page.width, page.height), "white")
        # The page fades so that the boxes and characters read clearly over it.
        image = Image.blend(base, Image.new("RGB", base.size, "white"), 0.4)
        draw = ImageDraw.Draw(image)
        glyphs = page.glyphs
        size = max(8, round(sum(g.height for g in glyphs) / max(len(glyphs), 1) * 0.8))
        font = ImageFont.load_default(size=size)
        for glyph in glyphs:
            colour = UNSURE if glyph.uncertain else SURE
            x0, y0, x1, y1 = glyph.box
            draw.rectangle((x0, y0, x1, y1), outline=colour, width=1)
            draw.text((x0, y0 - 1), glyph.char, fill=colour, font=font, anchor="lb")
        path = out_dir / f"{page.name}{self.suffix}"
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        write_atomic(path, buffer.getvalue())
        return path
