"""The bundled LabelImg reader: Pascal VOC XML parsed safely, labels kept exactly."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from data_helpers import page

from imagine_core.errors import ImagineError
from imagine_plugins.labelimg.plugin import LabelImgReader
from imagine_plugins.labelimg.voc import parse_voc

VOC = """<annotation>
  <folder>pages</folder>
  <filename>{image}</filename>
  <size><width>40</width><height>20</height><depth>3</depth></size>
  {objects}
</annotation>
"""
OBJECT = (
    "<object><name>{name}</name><difficult>{difficult}</difficult>"
    "<bndbox><xmin>{x0}</xmin><ymin>2</ymin><xmax>{x1}</xmax><ymax>18</ymax></bndbox></object>"
)


def _write(folder: Path, stem: str, names: list[str], image: bool = True) -> Path:
    objects = "\n".join(
        OBJECT.format(name=n, difficult=int(i == 1), x0=i * 10, x1=i * 10 + 8)
        for i, n in enumerate(names)
    )
    xml = folder / f"{stem}.xml"
    xml.write_text(VOC.format(image=f"{stem}.png", objects=objects), encoding="utf-8")
    if image:
        (folder / f"{stem}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return xml


def test_reads_boxes_labels_and_flags(tmp_path):
    example = parse_voc(_write(tmp_path, "page", ["ſ", "st", "a"]))
    assert (example.width, example.height) == (40, 20)
    assert [b.label for b in example.boxes] == ["ſ", "st", "a"]
    assert example.boxes[1].difficult and not example.boxes[0].difficult
    assert (example.boxes[2].xmin, example.boxes[2].xmax) == (20, 28)
    assert example.image == tmp_path / "page.png"


def test_labels_are_nfc_normalised(tmp_path):
    decomposed = "e\u0301"  # e + combining acute
    example = parse_voc(_write(tmp_path, "page", [decomposed]))
    assert example.boxes[0].label == unicodedata.normalize("NFC", decomposed) == "\u00e9"


def test_malformed_xml_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<annotation>\n  <size>\n</annotation>\n")
    with pytest.raises(ImagineError) as info:
        parse_voc(bad)
    assert f"{bad}:3" in str(info.value) and "malformed XML" in str(info.value)


@pytest.mark.parametrize(
    "payload",
    [
        '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><annotation>&x;</annotation>',
        '<!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;&l;">]>'
        "<annotation>&l2;</annotation>",
    ],
    ids=["xxe", "entity-expansion"],
)
def test_doctype_and_entities_are_rejected_unexpanded(tmp_path, payload):
    evil = tmp_path / "evil.xml"
    evil.write_text(payload)
    with pytest.raises(ImagineError) as info:
        parse_voc(evil)
    assert "root:" not in str(info.value)  # /etc/passwd was not read into the message
    assert "DOCTYPE" in str(info.value)


def test_missing_image_is_named(tmp_path):
    xml = _write(tmp_path, "page", ["a"], image=False)
    with pytest.raises(ImagineError, match="no image for this annotation"):
        parse_voc(xml)


def test_reader_yields_every_file_in_order(tmp_path):
    for stem in ("b", "a"):
        _write(tmp_path, stem, ["x"])
    examples = list(LabelImgReader([str(tmp_path)]).read())
    assert [Path(e.source).stem for e in examples] == ["a", "b"]


def test_reader_names_a_missing_folder(tmp_path):
    with pytest.raises(ImagineError, match="folder not found"):
        list(LabelImgReader([str(tmp_path / "nope")]).read())


def test_without_an_eval_folder_a_tenth_of_train_is_held_out(tmp_path):
    (tmp_path / "train").mkdir()
    for i in range(10):
        page(tmp_path / "train", f"p{i}", ["a"])

    def reader(split):
        return LabelImgReader([str(tmp_path / split)], hold_out=True)

    train, held = list(reader("train").items()), list(reader("eval").items())
    assert len(held) == 1 and len(train) == 9
    assert not set(held) & set(train)
    assert held == list(reader("eval").items())  # the same each time
    # Only where asked (dataset=labelimg asks): `data check` and `convert` read everything.
    assert len(list(LabelImgReader([str(tmp_path / "train")]).items())) == 10
    (tmp_path / "eval").mkdir()  # once there is an eval folder, train is train again
    assert len(list(reader("train").items())) == 10


def test_one_page_and_no_eval_folder_is_refused_with_a_way_out(tmp_path):
    from imagine_core.errors import DataError

    (tmp_path / "train").mkdir()
    page(tmp_path / "train", "only", ["a"])
    with pytest.raises(DataError, match="only 1 page"):
        list(LabelImgReader([str(tmp_path / "eval")], hold_out=True).items())
