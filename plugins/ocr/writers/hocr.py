"""hOCR 1.2: XHTML with ocr_page > ocr_carea > ocr_par > ocr_line (with its ``baseline``) >
ocrx_word > ocrx_cinfo; confidences 0-100 as ``x_wconf`` on lines, words and glyphs, and
``x_confs`` with ``x_bboxes`` per code point of a glyph. (Tesseract's ``x_conf`` is not in
the hOCR spec and its validator refuses it; ``x_wconf`` carries the same figure.)"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from lxml import etree

from imagine_core.api import Page, Writer, write_atomic
from imagine_plugins.ocr.writers.geometry import baseline, code_points

XHTML = "http://www.w3.org/1999/xhtml"
DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">'
)


def wconf(score: float) -> str:
    return f"x_wconf {round(100 * score)}"


def baseline_property(line, direction: str) -> str:
    """hOCR's ``baseline slope offset``: y = slope * x + offset, from the line box's
    bottom-left corner."""
    (ax, ay), (bx, by) = sorted(baseline(line, direction))
    slope = (by - ay) / (bx - ax) if bx != ax else 0.0
    x0, y1 = line.box[0], line.box[3]
    return f"baseline {slope:.4f} {round(ay + slope * (x0 - ax) - y1)}"


def bbox(box) -> str:
    x0, y0, x1, y1 = box
    return f"bbox {round(x0)} {round(y0)} {round(x1)} {round(y1)}"


def _head(html: Any, page: Page) -> None:
    head = etree.SubElement(html, "head")
    etree.SubElement(head, "title").text = page.name
    meta = {
        "ocr-system": "imagine",
        "ocr-capabilities": "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrx_cinfo",
    }
    etree.SubElement(
        head, "meta", {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"}
    )
    for name, content in meta.items():
        etree.SubElement(head, "meta", {"name": name, "content": content})


def _glyph_title(glyph: Any, direction: str) -> str:
    """``x_bboxes`` and ``x_confs`` per code point of a glyph, and its ``x_wconf``."""
    parts = code_points(glyph, direction)
    boxes = " ".join(" ".join(str(round(v)) for v in b) for _, b in parts)
    conf = f"{100 * glyph.score:.1f}"
    return f"x_bboxes {boxes}; {wconf(glyph.score)}; x_confs {' '.join([conf] * len(parts))}"


PREFIXES = {"ocr_line": "line", "ocrx_word": "word", "ocrx_cinfo": "glyph"}


class _Spans:
    """``span`` elements numbered per class: line_1, word_1, glyph_1 …"""

    def __init__(self) -> None:
        self.counters = {name: itertools.count(1) for name in PREFIXES}

    def __call__(self, parent: Any, cls: str, title: str) -> Any:
        number = next(self.counters[cls])
        attrs = {"class": cls, "id": f"{PREFIXES[cls]}_{number}", "title": title}
        return etree.SubElement(parent, "span", attrs)


class HocrWriter(Writer):
    suffix = ".hocr"

    def write(self, page: Page, out_dir: Path) -> Path:
        html = etree.Element(f"{{{XHTML}}}html", nsmap={None: XHTML})
        html.set("{http://www.w3.org/XML/1998/namespace}lang", "und")
        _head(html, page)
        image = page.image_path.name if page.image_path else page.name
        title = f'image "{image}"; {bbox((0, 0, page.width, page.height))}; ppageno 0'
        page_el = etree.SubElement(
            etree.SubElement(html, "body"),
            "div",
            {"class": "ocr_page", "id": "page_1", "title": title},
        )
        spans = _Spans()  # numbered across the page
        for r, region in enumerate(page.regions, start=1):
            self._region(page_el, region, r, page.direction, spans)
        path = out_dir / f"{page.name}{self.suffix}"
        write_atomic(
            path,
            etree.tostring(
                html, xml_declaration=True, encoding="UTF-8", doctype=DOCTYPE, pretty_print=True
            ),
        )
        return path

    @staticmethod
    def _region(page_el: Any, region: Any, r: int, direction: str, span: _Spans) -> None:
        area = etree.SubElement(
            page_el, "div", {"class": "ocr_carea", "id": f"block_{r}", "title": bbox(region.box)}
        )
        rtl = {"dir": "rtl"} if direction == "rtl" else {}
        attrs = {"class": "ocr_par", "id": f"par_{r}", "title": bbox(region.box), **rtl}
        par = etree.SubElement(area, "p", attrs)
        for line in region.lines:
            title = f"{bbox(line.box)}; {baseline_property(line, direction)}; {wconf(line.score)}"
            line_el = span(par, "ocr_line", title)
            for word in line.words:
                word_el = span(line_el, "ocrx_word", f"{bbox(word.box)}; {wconf(word.score)}")
                for glyph in word.glyphs:
                    span(word_el, "ocrx_cinfo", _glyph_title(glyph, direction)).text = glyph.char
                word_el.tail = " "  # text extracted from the hOCR keeps its spaces
