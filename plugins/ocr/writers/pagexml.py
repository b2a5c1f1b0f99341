"""PAGE XML (2019-07-15): TextRegion > TextLine (with its Baseline) > Word > Glyph, each
with Coords and a TextEquiv carrying ``conf`` (a Glyph's other choices as further TextEquivs,
``index`` 2, 3 …); the reading order lists the regions."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from imagine_core.api import Page, Writer, write_atomic
from imagine_plugins.ocr.writers.geometry import baseline

PAGE = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA = f"{PAGE} {PAGE}/pagecontent.xsd"


def points(box) -> str:
    x0, y0, x1, y1 = (round(v) for v in box)
    return f"{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}"


class PageXmlWriter(Writer):
    suffix = ".page.xml"

    def write(self, page: Page, out_dir: Path) -> Path:
        def el(parent, tag, attrs=None):
            return etree.SubElement(parent, f"{{{PAGE}}}{tag}", attrs or {})

        def coords(parent, box):
            el(parent, "Coords", {"points": points(box)})

        def equiv(parent, text, score, index=None):
            attrs = {"conf": f"{score:.3f}"} | ({"index": str(index)} if index else {})
            unicode = el(el(parent, "TextEquiv", attrs), "Unicode")
            unicode.text = text

        def glyph_equivs(parent, glyph):
            """The glyph read, then the model's other choices there (index 2, 3 …)."""
            others = [(c, s) for c, s in glyph.alternatives if c != glyph.char]
            equiv(parent, glyph.char, glyph.score, 1 if others else None)
            for index, (char, score) in enumerate(others, start=2):
                equiv(parent, char, score, index)

        root = etree.Element(f"{{{PAGE}}}PcGts", nsmap={None: PAGE, "xsi": XSI})
        root.set(f"{{{XSI}}}schemaLocation", SCHEMA)
        metadata = el(root, "Metadata")
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        el(metadata, "Creator").text = "imagine"
        el(metadata, "Created").text = now
        el(metadata, "LastChange").text = now
        image = page.image_path.name if page.image_path else f"{page.name}.png"
        page_el = el(
            root,
            "Page",
            {
                "imageFilename": image,
                "imageWidth": str(page.width),
                "imageHeight": str(page.height),
            },
        )
        if page.regions:
            group = el(el(page_el, "ReadingOrder"), "OrderedGroup", {"id": "reading_order"})
            for r in range(len(page.regions)):
                el(group, "RegionRefIndexed", {"index": str(r), "regionRef": f"r{r + 1}"})
        direction = "right-to-left" if page.direction == "rtl" else "left-to-right"
        for r, region in enumerate(page.regions, start=1):
            region_el = el(page_el, "TextRegion", {"id": f"r{r}", "readingDirection": direction})
            coords(region_el, region.box)
            for n, line in enumerate(region.lines, start=1):
                line_id = f"r{r}_l{n}"
                line_el = el(region_el, "TextLine", {"id": line_id})
                coords(line_el, line.box)
                line_points = " ".join(f"{x},{y}" for x, y in baseline(line, page.direction))
                el(line_el, "Baseline", {"points": line_points})
                for w, word in enumerate(line.words, start=1):
                    word_el = el(line_el, "Word", {"id": f"{line_id}_w{w}"})
                    coords(word_el, word.box)
                    for k, glyph in enumerate(word.glyphs, start=1):
                        glyph_el = el(word_el, "Glyph", {"id": f"{line_id}_w{w}_g{k}"})
                        coords(glyph_el, glyph.box)
                        glyph_equivs(glyph_el, glyph)
                    equiv(word_el, word.text, word.score)
                equiv(line_el, line.text, line.score)
            text = "\n".join(line.text for line in region.lines)
            equiv(region_el, text, sum(line.score for line in region.lines) / len(region.lines))
        path = out_dir / f"{page.name}{self.suffix}"
        write_atomic(
            path, etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )
        return path
