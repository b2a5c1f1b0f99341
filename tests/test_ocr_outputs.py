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

from imagine_core.api import instantiate
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


def test_json_gives_the_models_other_choices_at_each_glyph(tmp_path, page):
    glyph = page.glyphs[0]
    glyph.alternatives = ((glyph.char, glyph.score), ("E", 0.31), ("P", 0.05))
    data = json.loads(writer("json").write(page, tmp_path).read_text(encoding="utf-8"))
    assert data["glyphs"][0]["alternatives"] == [["E", 0.31], ["P", 0.05]]
    assert data["glyphs"][1]["alternatives"] == []


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


def test_page_xml_and_alto_give_the_models_other_choices_at_a_glyph(tmp_path, page):
    glyph = page.glyphs[0]
    glyph.alternatives = ((glyph.char, glyph.score), ("E", 0.31), ("P", 0.05))
    xsd = distribution("ocrd").locate_file("ocrd_validators/page.xsd")
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    doc = etree.parse(str(writer("page").write(page, tmp_path)))
    assert schema.validate(doc), schema.error_log
    ns = {"p": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"}
    first = doc.findall(".//p:Glyph", ns)[0].findall("p:TextEquiv", ns)
    assert [(e.get("index"), e.findtext("p:Unicode", namespaces=ns)) for e in first] == [
        ("1", glyph.char), ("2", "E"), ("3", "P")
    ]  # fmt: skip
    assert doc.findall(".//p:Glyph", ns)[1].find("p:TextEquiv", ns).get("index") is None
    alto = etree.parse(str(writer("alto").write(page, tmp_path)))
    a = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}
    variants = alto.findall(".//a:Glyph", a)[0].findall("a:Variant", a)
    assert [(v.get("CONTENT"), v.get("VC")) for v in variants] == [("E", "0.310"), ("P", "0.050")]


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


# --- what line-based and character-based consumers read -----------------------------------


def true_baselines(lines: list[str], skew_degrees: float = 0.0) -> list[float]:
    """Where ocr_helpers.set_text put each line's baseline (default layout), at x = 0."""
    from imagine_plugins.datatools.demo.fonts import default_font, load_font

    ascent, descent = load_font(default_font(), 20).getmetrics()
    return [40.0 + row * (ascent + descent) * 1.5 + ascent for row in range(len(lines))]


DESCENDING = ["pig jumps quickly upward", "the grey pond jumps"]  # many descenders


@pytest.mark.parametrize("skew", [0.0, 2.0])
def test_page_and_alto_baselines_run_along_the_letters_feet(tmp_path, skew):
    import math

    page = page_of(DESCENDING, skew_degrees=skew)
    slope = math.tan(math.radians(skew))
    expected = true_baselines(DESCENDING)
    page_doc = etree.parse(str(writer("page").write(page, tmp_path)))
    alto_doc = etree.parse(str(writer("alto").write(page, tmp_path)))
    lines = [
        [tuple(map(int, p.split(","))) for p in e.get("points").split()]
        for e in page_doc.findall(".//{*}TextLine/{*}Baseline")
    ]
    alto = [
        [tuple(map(int, p.split(","))) for p in e.get("BASELINE").split()]
        for e in alto_doc.findall(".//{*}TextLine")
    ]
    assert alto == lines and len(lines) == 2
    for points, y in zip(lines, expected, strict=True):
        for x, found in points:
            assert found == pytest.approx(y + slope * x, abs=2.0)


def test_hocr_baseline_is_slope_and_offset_from_the_line_box(tmp_path):
    page = page_of(DESCENDING)
    doc = etree.parse(str(writer("hocr").write(page, tmp_path)))
    lines = doc.findall(".//{*}span[@class='ocr_line']")
    for line, y in zip(lines, true_baselines(DESCENDING), strict=True):
        props = dict(p.strip().split(" ", 1) for p in line.get("title").split(";"))
        slope, offset = map(float, props["baseline"].split())
        bottom = int(props["bbox"].split()[3])
        assert slope == pytest.approx(0.0, abs=0.005)
        assert bottom + offset == pytest.approx(y, abs=2.0)  # descenders hang below it


@pytest.fixture
def ligature_page():
    """'first stone' with 'st' read as one glyph, as a blackletter ligature is marked."""
    from imagine_core.api import Glyph, Page
    from imagine_plugins.ocr.assemble import LineAssembler

    page = page_of(["first stone"])
    glyphs = page.glyphs
    merged = []
    i = 0
    while i < len(glyphs):
        g = glyphs[i]
        if g.char == "s" and i + 1 < len(glyphs) and glyphs[i + 1].char == "t":
            t = glyphs[i + 1]
            box = (g.box[0], min(g.box[1], t.box[1]), t.box[2], max(g.box[3], t.box[3]))
            merged.append(Glyph(box, "st", 0.8))
            i += 2
        else:
            merged.append(g)
            i += 1
    return Page("page", page.width, page.height, LineAssembler().assemble(merged, "ltr"))


def test_a_ligature_gets_a_box_and_confidence_per_code_point(tmp_path, ligature_page):
    assert sum(g.char == "st" for g in ligature_page.glyphs) == 2
    alto = etree.parse(str(writer("alto").write(ligature_page, tmp_path)))
    for string in alto.findall(".//{*}String"):
        glyphs = string.findall("{*}Glyph")
        assert len(string.get("CC").split()) == len(string.get("CONTENT")) == len(glyphs)
        assert "".join(g.get("CONTENT") for g in glyphs) == string.get("CONTENT")
    hocr = etree.parse(str(writer("hocr").write(ligature_page, tmp_path)))
    (st, *_) = [c for c in hocr.findall(".//{*}span[@class='ocrx_cinfo']") if c.text == "st"]
    props = dict(p.strip().split(" ", 1) for p in st.get("title").split(";"))
    s_box, t_box = np.array(props["x_bboxes"].split(), int).reshape(2, 4)
    assert s_box[2] == t_box[0] and s_box[0] < s_box[2] < t_box[2]  # side by side
    assert props["x_confs"].split() == ["80.0", "80.0"] and props["x_wconf"] == "80"


def test_alto_is_4_4_with_processing(tmp_path, page):
    root = etree.parse(str(writer("alto").write(page, tmp_path))).getroot()
    xsi = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
    assert root.get(xsi).endswith("http://www.loc.gov/alto/v4/alto-4-4.xsd")
    assert root.get("SCHEMAVERSION") == "4.4"
    assert root.find(".//{*}Processing/{*}processingSoftware/{*}softwareName").text == "imagine"
    assert root.find(".//{*}OCRProcessing") is None


def test_ocrd_models_reads_the_page_xml(tmp_path, ligature_page):
    from ocrd_models.ocrd_page import parse

    pcgts = parse(str(writer("page").write(ligature_page, tmp_path)), silence=True)
    lines = [line for region in pcgts.get_Page().get_TextRegion() for line in region.get_TextLine()]
    assert [line.get_TextEquiv()[0].Unicode for line in lines] == ["first stone"]
    assert lines[0].get_Baseline().points
    glyphs = [g for w in lines[0].get_Word() for g in w.get_Glyph()]
    assert [g.get_TextEquiv()[0].Unicode for g in glyphs].count("st") == 2


def test_alto_tools_reads_the_alto(tmp_path, page, capsys):
    from alto_tools import alto_tools

    path = writer("alto").write(page, tmp_path)
    with open(path, encoding="utf-8") as file:
        alto, xml, xmlns = alto_tools.alto_parse(file)
        capsys.readouterr()
        alto_tools.alto_text(xml, xmlns)
        text = capsys.readouterr().out
        confidence = alto_tools.alto_confidence(alto, xml, xmlns)
    assert xmlns == "http://www.loc.gov/standards/alto/ns-v4#"
    assert [line.strip() for line in text.strip().splitlines()] == LINES
    words = [w for line in page.lines for w in line.words]
    assert confidence == pytest.approx(100 * sum(w.score for w in words) / len(words), abs=0.1)


def test_a_baseline_stays_inside_its_line_however_the_glyphs_lie():
    """Two narrow glyphs whose feet differ a lot: the fit's slope is steep, and its ends,
    extrapolated to the line's box, fell far outside it (PAGE: points="2,-2453 10,2889")."""
    from imagine_core.api import Glyph, Line, Word
    from imagine_plugins.ocr.writers.geometry import baseline

    for direction in ("ltr", "rtl"):
        line = Line([Word([Glyph((0.0, 10.0, 2.0, 30.0), "a", 0.5),
                           Glyph((2.5, 40.0, 4.0, 60.0), "b", 0.5)])])  # fmt: skip
        x0, y0, x1, y1 = line.box
        for x, y in baseline(line, direction):
            assert x0 <= x <= x1 and y0 <= y <= y1, (x, y, line.box)
