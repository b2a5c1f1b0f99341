"""Each output format: valid against its schema where one ships, and holding every glyph
with its box and confidence."""

from __future__ import annotations

import json
from importlib.metadata import distribution

import numpy as np
import pytest
from lxml import etree
from ocr_helpers import page_of
from PIL import Image

from imagine_core.pipeline import instantiate
from imagine_core.plugins import get_plugins
from imagine_plugins.labelimg.voc import parse_voc

LINES = ["Fourscore and seven years ago,", "our fathers brought forth"]
FORMATS = ["txt", "json", "hocr", "alto", "page", "overlay", "labelimg"]


def writer(name: str):
    return instantiate(get_plugins().registry.get("writer", name), None, None)


@pytest.fixture
def page():
    return page_of(LINES)


def test_every_format_is_registered():
    assert set(FORMATS) <= set(get_plugins().registry.names("writer"))


def test_text_is_the_lines_in_reading_order(tmp_path, page):
    path = writer("txt").write(page, tmp_path)
    assert path.name == "page.txt"
    assert path.read_text(encoding="utf-8") == "\n".join(LINES) + "\n"


def test_json_has_every_glyph_with_box_score_and_place(tmp_path, page):
    data = json.loads(writer("json").write(page, tmp_path).read_text(encoding="utf-8"))
    assert len(data["glyphs"]) == len(page.glyphs)
    assert data["text"] == "\n".join(LINES)
    first = data["glyphs"][0]
    assert first["char"] == "F" and first["uncertain"] and first["score"] == 0.42
    assert {g["line"] for g in data["glyphs"]} == {0, 1}


def test_page_xml_is_valid_against_the_2019_schema(tmp_path, page):
    xsd = distribution("ocrd").locate_file("ocrd_validators/page.xsd")
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    doc = etree.parse(str(writer("page").write(page, tmp_path)))
    assert schema.validate(doc), schema.error_log
    ns = {"p": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"}
    glyphs = doc.findall(".//p:Glyph", ns)
    assert len(glyphs) == len(page.glyphs)
    confs = [float(g.find("p:TextEquiv", ns).get("conf")) for g in glyphs]
    assert confs[0] == pytest.approx(0.42)
    lines = [
        e.findtext("p:TextEquiv/p:Unicode", namespaces=ns) for e in doc.findall(".//p:TextLine", ns)
    ]
    assert lines == LINES


def test_page_xml_of_a_right_to_left_page_says_so(tmp_path):
    page = page_of(["שלום עולם"], rtl=True, width=300)
    doc = etree.parse(str(writer("page").write(page, tmp_path)))
    region = doc.find(".//{*}TextRegion")
    assert region.get("readingDirection") == "right-to-left"
    assert doc.findtext(".//{*}TextLine/{*}TextEquiv/{*}Unicode") == "שלום עולם"


def test_hocr_passes_the_hocr_spec_validator(tmp_path, page):
    from hocr_spec import HocrValidator

    path = writer("hocr").write(page, tmp_path)
    report = HocrValidator("standard").validate(str(path))
    assert report.is_valid(), report.format("text")
    doc = etree.parse(str(path))
    cinfo = doc.findall(".//{*}span[@class='ocrx_cinfo']")
    assert "".join(c.text for c in cinfo) == "".join(LINES).replace(" ", "")
    assert "x_confs 42.0" in cinfo[0].get("title")
    words = doc.findall(".//{*}span[@class='ocrx_word']")
    assert [w.xpath("string()").strip() for w in words] == " ".join(LINES).split()
    assert "x_wconf" in words[0].get("title")


def test_alto_holds_strings_glyphs_and_confidences(tmp_path, page):
    doc = etree.parse(str(writer("alto").write(page, tmp_path)))
    ns = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
    assert doc.getroot().tag == "{http://www.loc.gov/standards/alto/ns-v4#}alto"
    strings = doc.findall(".//a:String", ns)
    assert [s.get("CONTENT") for s in strings] == " ".join(LINES).split()
    glyphs = doc.findall(".//a:Glyph", ns)
    assert len(glyphs) == len(page.glyphs)
    assert float(glyphs[0].get("GC")) == pytest.approx(0.42)
    first = strings[0]
    assert len(first.get("CC").split()) == len(first.get("CONTENT"))
    assert first.get("CC").split()[0] == "5"  # 0.42 sure: 5 of 9 unsure
    assert len(doc.findall(".//a:SP", ns)) == len(strings) - len(LINES)
    for element in [*strings, *glyphs]:
        assert int(element.get("WIDTH")) > 0 and int(element.get("HEIGHT")) > 0


def test_overlay_draws_boxes_in_two_colours(tmp_path, page):
    page.image = np.full((page.height, page.width, 3), 255, np.uint8)
    path = writer("overlay").write(page, tmp_path)
    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    assert Image.open(path).size == (page.width, page.height)
    assert ((pixels[:, 0] > 200) & (pixels[:, 2] < 60)).any()  # red: uncertain
    assert ((pixels[:, 2] > 200) & (pixels[:, 0] < 60)).any()  # blue: sure


def test_labelimg_xml_lands_beside_the_image_and_reads_back(tmp_path, page):
    image = tmp_path / "page.png"
    page.image = np.full((page.height, page.width, 3), 255, np.uint8)
    Image.fromarray(page.image).save(image)
    page.image_path = image
    xml = writer("labelimg").write(page, tmp_path / "out")
    assert xml == tmp_path / "page.xml"
    example = parse_voc(xml)
    assert example.image == image
    assert sorted(b.label for b in example.boxes) == sorted(g.char for g in page.glyphs)


def test_labelimg_keeps_a_corrected_xml_unless_told(tmp_path, page):
    image = tmp_path / "page.png"
    page.image = np.full((page.height, page.width, 3), 255, np.uint8)
    Image.fromarray(page.image).save(image)
    page.image_path = image
    (tmp_path / "page.xml").write_text("<annotation>corrected by hand</annotation>")
    labels = writer("labelimg")
    xml = labels.write(page, tmp_path / "out")
    assert "corrected by hand" in (tmp_path / "page.xml").read_text()
    assert xml == tmp_path / "out" / "labelimg" / "page.xml"
    assert (tmp_path / "out" / "labelimg" / "page.png").is_file()
    assert labels.kept == [tmp_path / "page.xml"]
    labels.overwrite = True
    assert labels.write(page, tmp_path / "out") == tmp_path / "page.xml"
    assert "corrected by hand" not in (tmp_path / "page.xml").read_text()
