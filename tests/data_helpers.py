"""Small annotated pages for the data tests, made on the fly with Pillow."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from imagine_core.api import Box, Example
from imagine_plugins.labelimg.voc import voc_xml

# Characters a glyph corpus must keep exactly: long s, a ligature as one class,
# a combining mark, case, punctuation.
LABELS = ["ſ", "st", "e\u0301", "A", "a", ",", "ß"]


def page(
    folder: Path,
    stem: str,
    labels: list[str] | None = None,
    size=(120, 60),
    mode: str = "RGB",
    fmt: str = "PNG",
) -> Path:
    """Write ``stem.png`` (or another format) with one dark box per label, and its XML."""
    labels = LABELS if labels is None else labels
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    boxes = []
    for i, label in enumerate(labels):
        x0, y0 = 4 + (i % 7) * 16, 6 + (i // 7) * 24
        draw.rectangle([x0, y0, x0 + 10, y0 + 16], fill="black")
        boxes.append(Box(x0, y0, x0 + 11, y0 + 17, label=label))
    suffix = {"PNG": ".png", "JPEG": ".jpg", "TIFF": ".tif"}[fmt]
    image = folder / f"{stem}{suffix}"
    img.convert(mode).save(image, format=fmt)
    example = Example(image=image, width=size[0], height=size[1], boxes=boxes)
    (folder / f"{stem}.xml").write_bytes(voc_xml(example, image))
    return folder / f"{stem}.xml"


def boxes_of(example: Example) -> list[tuple]:
    return sorted(
        (b.label, round(b.xmin, 2), round(b.ymin, 2), round(b.xmax, 2), round(b.ymax, 2))
        for b in example.boxes
    )
