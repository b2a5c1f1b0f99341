"""Detections back to LabelImg: Pascal VOC XML beside the page image, to correct and
retrain with. Pages LabelImg cannot open as they are (later pages of a multi-page TIFF)
are saved as PNG with their XML into ``<out>/labelimg/``."""

from __future__ import annotations

import io
from pathlib import Path

from imagine_core.api import Box, Example, LabelMap, Page, Writer, get_plugins, instantiate


class LabelImgWriter(Writer):
    """An XML already beside an image (perhaps corrected by hand) is kept unless
    ``overwrite``; the new one then goes to ``<out>/labelimg/`` with a copy of the image."""

    suffix = ".xml"

    def __init__(self, overwrite: bool = False):
        self.overwrite = overwrite
        self.kept: list[Path] = []

    def write(self, page: Page, out_dir: Path) -> Path:
        from PIL import Image

        registry = get_plugins().registry
        writer = instantiate(registry.get("dataset_writer", "labelimg"), None, None)
        boxes = [Box(*g.box, label=g.char) for g in page.glyphs]
        source = page.image_path
        beside = source is not None and page.page_in_file is None  # LabelImg opens it
        if beside and source.with_suffix(".xml").exists() and not self.overwrite:
            self.kept.append(source.with_suffix(".xml"))
            beside = False
        if beside:
            example = Example(source, page.width, page.height, boxes, filename=source.name)
            folder = source.parent
        else:
            buffer = io.BytesIO()
            Image.fromarray(page.image).save(buffer, format="PNG")
            name = f"{page.name}.png"
            example = Example(buffer.getvalue(), page.width, page.height, boxes, filename=name)
            folder = out_dir / "labelimg"
        labels = LabelMap.from_names(b.label for b in boxes)
        written = writer.write([example], folder.parent, labels, split=folder.name)
        return next(p for p in written if p.suffix == ".xml")
