"""ALTO 4.4: TextBlock > TextLine (with its BASELINE) > String (+ SP) > Glyph (> Variant: the
model's other choices at that place, with ``VC``); ``WC``/``GC``
confidences 0..1 and ``CC`` per character (0 sure … 9 unsure), so uncertain glyphs stand
out. A glyph labelled with several code points (a ligature 'st') becomes one ALTO Glyph and
one CC value per code point, as the schema asks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from imagine_core.api import Page, Writer, write_atomic
from imagine_plugins.ocr.writers.geometry import baseline, code_points

ALTO = "http://www.loc.gov/standards/alto/ns-v4#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA = f"{ALTO} http://www.loc.gov/alto/v4/alto-4-4.xsd"


def place(box) -> dict[str, str]:
    x0, y0, x1, y1 = (round(v) for v in box)
    return {"HPOS": str(x0), "VPOS": str(y0), "WIDTH": str(x1 - x0), "HEIGHT": str(y1 - y0)}


def unsure(score: float) -> str:
    return str(min(9, max(0, round(9 * (1 - score)))))


def _el(parent: Any, tag: str, attrs: dict[str, str] | None = None) -> Any:
    return etree.SubElement(parent, f"{{{ALTO}}}{tag}", attrs or {})


def _description(root: Any, page: Page) -> None:
    description = _el(root, "Description")
    _el(description, "MeasurementUnit").text = "pixel"
    source = _el(description, "sourceImageInformation")
    _el(source, "fileName").text = page.image_path.name if page.image_path else page.name
    processing = _el(description, "Processing", {"ID": "OCR_0"})
    _el(processing, "processingCategory").text = "contentGeneration"
    _el(_el(processing, "processingSoftware"), "softwareName").text = "imagine"


def _word(line_el: Any, line: Any, w: int, name: str, direction: str) -> None:
    """Word ``w`` of a line as a String of Glyphs, after the SP between it and the last."""
    word = line.words[w]
    if w:  # the space between this word and the one before (either side)
        before = line.words[w - 1].box
        left, right = min(before[2], word.box[2]), max(before[0], word.box[0])
        _el(line_el, "SP", {"HPOS": str(round(left)), "WIDTH": str(max(0, round(right - left)))})
    string = _el(
        line_el,
        "String",
        {
            "ID": name,
            **place(word.box),
            "CONTENT": word.text,
            "WC": f"{word.score:.3f}",
            "CC": " ".join(unsure(g.score) for g in word.glyphs for _ in g.char),
        },
    )
    parts = [
        (char, box, glyph) for glyph in word.glyphs for char, box in code_points(glyph, direction)
    ]
    for k, (char, box, glyph) in enumerate(parts, start=1):
        attrs = {
            "ID": f"{name}_glyph_{k}",
            **place(box),
            "CONTENT": char,
            "GC": f"{glyph.score:.3f}",
        }
        glyph_el = _el(string, "Glyph", attrs)
        if len(glyph.char) == 1:  # the model's other choices (a ligature's parts have none)
            for other, score in glyph.alternatives:
                if other != glyph.char and len(other) <= 3:  # the schema's longest variant
                    _el(glyph_el, "Variant", {"CONTENT": other, "VC": f"{score:.3f}"})


class AltoWriter(Writer):
    suffix = ".alto.xml"

    def write(self, page: Page, out_dir: Path) -> Path:
        root = etree.Element(f"{{{ALTO}}}alto", nsmap={None: ALTO, "xsi": XSI})
        root.set(f"{{{XSI}}}schemaLocation", SCHEMA)
        root.set("SCHEMAVERSION", "4.4")
        _description(root, page)
        size = {"WIDTH": str(page.width), "HEIGHT": str(page.height)}
        attrs = {"ID": "page_1", "PHYSICAL_IMG_NR": "1", **size}
        page_el = _el(_el(root, "Layout"), "Page", attrs)
        space = _el(page_el, "PrintSpace", place((0, 0, page.width, page.height)))
        n = 0
        for r, region in enumerate(page.regions, start=1):
            block = _el(space, "TextBlock", {"ID": f"block_{r}", **place(region.box)})
            for line in region.lines:
                n += 1
                points = " ".join(f"{x},{y}" for x, y in baseline(line, page.direction))
                line_attrs = {"ID": f"line_{n}", **place(line.box), "BASELINE": points}
                line_el = _el(block, "TextLine", line_attrs)
                for w in range(len(line.words)):
                    _word(line_el, line, w, f"line_{n}_word_{w + 1}", page.direction)
        path = out_dir / f"{page.name}{self.suffix}"
        write_atomic(
            path, etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )
        return path
