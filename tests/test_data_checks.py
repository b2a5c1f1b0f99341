"""Bad input is named, never dropped in silence: each case under strict, skip and repair."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from data_helpers import page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from imagine_core.errors import DataError, ImagineError
from imagine_core.labelmap import LabelMap
from imagine_plugins.datatools.checks import Checker
from imagine_plugins.labelimg.plugin import LabelImgReader
from imagine_plugins.labelimg.voc import parse_voc


def _check(folder: Path, policy: str, label_map: LabelMap | None = None):
    return Checker(policy, label_map).run(LabelImgReader([str(folder)]))


def _edit_xml(xml: Path, old: str, new: str) -> None:
    xml.write_text(xml.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "d").mkdir()
    return tmp_path / "d"


CASES = {
    "malformed xml": lambda f: (f / "x.xml").write_text("<annotation><size>\n</annotation>"),
    "missing image": lambda f: page(f, "x").with_suffix(".png").unlink(),
    "zero-byte image": lambda f: page(f, "x").with_suffix(".png").write_bytes(b""),
    "truncated image": lambda f: _truncate(page(f, "x").with_suffix(".png")),
    "size disagrees": lambda f: _edit_xml(page(f, "x"), "<width>120</width>", "<width>100</width>"),
    "box outside": lambda f: _edit_xml(page(f, "x"), "<xmax>15</xmax>", "<xmax>500</xmax>"),
    "swapped corners": lambda f: _edit_xml(page(f, "x"), "<xmin>4</xmin>", "<xmin>30</xmin>"),
    "zero area": lambda f: _edit_xml(page(f, "x"), "<xmax>15</xmax>", "<xmax>4</xmax>"),
    "duplicate object": lambda f: _duplicate(page(f, "x")),
    "empty annotation file": lambda f: page(f, "x").write_bytes(b""),
}
# What repair does with each: the example is kept with a fix, a box is dropped, or it is left out.
REPAIR = {
    "malformed xml": "skipped",
    "missing image": "skipped",
    "zero-byte image": "skipped",
    "truncated image": "skipped",
    "size disagrees": "repaired",
    "box outside": "repaired",
    "swapped corners": "repaired",
    "zero area": "dropped",
    "duplicate object": "repaired",
    "empty annotation file": "skipped",
}


def _truncate(image: Path) -> None:
    data = image.read_bytes()
    image.write_bytes(data[: len(data) // 2])


def _duplicate(xml: Path) -> None:
    text = xml.read_text(encoding="utf-8")
    first = text[text.index("<object>") : text.index("</object>") + len("</object>")]
    xml.write_text(text.replace(first, first + first, 1), encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_strict_stops_at_the_problem_and_names_the_file(folder, case):
    CASES[case](folder)
    with pytest.raises(DataError) as info:
        _check(folder, "strict")
    assert "x." in str(info.value)  # the file is named


@pytest.mark.parametrize("case", sorted(CASES))
def test_skip_leaves_the_example_out_and_says_so(folder, case):
    CASES[case](folder)
    page(folder, "good")
    result = _check(folder, "skip")
    assert [Path(e.name).stem for e in result.examples] == ["good"]
    assert any("x." in i.where and i.action == "skipped" for i in result.issues)


@pytest.mark.parametrize("case", sorted(CASES))
def test_repair_fixes_what_it_can_and_names_every_change(folder, case):
    CASES[case](folder)
    result = _check(folder, "repair")
    actions = {i.action for i in result.issues if "x." in i.where}
    assert REPAIR[case] in actions
    for example in result.examples:
        for box in example.boxes:
            assert 0 <= box.xmin < box.xmax <= example.width
            assert 0 <= box.ymin < box.ymax <= example.height


def test_malformed_xml_names_the_line(folder):
    CASES["malformed xml"](folder)
    with pytest.raises(DataError, match=r"x\.xml:2"):
        _check(folder, "strict")


def test_labels_absent_from_the_label_map(folder):
    page(folder, "x", ["a", "b"])
    label_map = LabelMap.from_names(["a"])
    with pytest.raises(DataError, match="not in the label map"):
        _check(folder, "strict", label_map)
    repaired = _check(folder, "repair", label_map)
    assert [b.label for b in repaired.examples[0].boxes] == ["a"]
    assert any(i.action == "dropped" and "'b'" in i.what for i in repaired.issues)


def test_empty_annotation_is_named_but_kept(folder):
    page(folder, "x", [])
    result = _check(folder, "strict")
    assert len(result.examples) == 1
    assert result.issues[0].what == "no objects are marked"


@pytest.mark.parametrize("mode", ["CMYK", "I;16", "P", "RGBA", "LA", "1"])
def test_unusual_image_modes_become_rgb(folder, mode):
    xml = page(
        folder,
        "x",
        ["a"],
        mode="RGB" if mode == "I;16" else mode,
        fmt="TIFF" if mode == "CMYK" else "PNG",
    )
    if mode == "I;16":
        image = xml.with_suffix(".png")
        grey = np.asarray(Image.open(image).convert("L"), dtype=np.uint16) * 257
        Image.fromarray(grey).save(image)  # a 16-bit greyscale PNG
        assert Image.open(image).mode == "I;16"
    result = _check(folder, "strict")
    converted = result.examples[0]
    assert isinstance(converted.image, bytes)
    with Image.open(io.BytesIO(converted.image)) as img:
        assert img.mode == "RGB"
    assert any("converted to RGB PNG" in i.what for i in result.issues)


def test_data_check_report(cli, folder):
    page(folder, "a", ["ſ", "x", "x"])
    CASES["box outside"](folder)
    result = cli("data", "check", str(folder))
    assert result.code == 2  # problems were found
    assert "boxes per class" in result.out and "U+017F" in result.out
    assert "classes with a single sample" in result.out
    assert "x.xml" in result.out and "outside" in result.out


# --- property-based: only imagine's own error escapes, nothing valid is lost ---------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_xml_only_ever_raises_imagines_error(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    xml = page(folder, "x", ["a", "b"])
    text = bytearray(xml.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        # <path> is absolute: the file's length changes with the temporary folder's name.
        position = data.draw(st.integers(0, 10**6)) % len(text)
        text[position] = data.draw(st.integers(0, 255))
    xml.write_bytes(bytes(text))
    with contextlib.suppress(ImagineError):  # any other exception fails the test
        parse_voc(xml)
    result = Checker("skip").run(LabelImgReader([str(folder)]))  # never raises in skip mode
    assert len(result.examples) + result.count("skipped") >= 1


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    boxes=st.lists(
        st.tuples(
            st.integers(0, 100),
            st.integers(0, 40),
            st.integers(1, 19),
            st.integers(1, 19),
            st.sampled_from(["a", "ſ", "st", "é"]),
        ),
        max_size=12,
        unique_by=lambda b: (b[0], b[1], b[4]),
    )
)
def test_valid_boxes_are_never_lost_or_changed(tmp_path_factory, boxes):
    from imagine_core.api import Box, Example
    from imagine_plugins.labelimg.voc import voc_xml

    folder = tmp_path_factory.mktemp("valid")
    Image.new("RGB", (120, 60), "white").save(folder / "x.png")
    marked = [Box(x, y, x + w, y + h, label=label) for x, y, w, h, label in boxes]
    (folder / "x.xml").write_bytes(
        voc_xml(Example(folder / "x.png", 120, 60, marked), folder / "x.png")
    )
    result = Checker("repair").run(LabelImgReader([str(folder)]))
    kept = [(b.label, b.xmin, b.ymin, b.xmax, b.ymax) for b in result.examples[0].boxes]
    assert kept == [(b.label, b.xmin, b.ymin, b.xmax, b.ymax) for b in marked]


def test_two_annotation_files_naming_one_image_are_named_not_merged(tmp_path):
    """b.xml copied from a.xml with its <filename> left at a.png: a.png would train twice
    and b.png never; the second file is named, and left out where the policy allows."""
    page(tmp_path, "a", ["a", "b"])
    page(tmp_path, "b", ["c", "d"])
    xml = (tmp_path / "b.xml").read_text(encoding="utf-8")
    (tmp_path / "b.xml").write_text(xml.replace("b.png", "a.png"), encoding="utf-8")
    with pytest.raises(DataError, match=r"a\.xml describes already") as info:
        Checker("strict").run(LabelImgReader([str(tmp_path)]))
    assert info.value.where.endswith("b.xml")
    result = Checker("skip").run(LabelImgReader([str(tmp_path)]))
    assert [Path(str(e.image)).name for e in result.examples] == ["a.png"]
    assert [Path(i.where).name for i in result.issues] == ["b.xml"]
    (tmp_path / "one").mkdir()
    page(tmp_path / "one", "a", ["a"])
    twice = Checker("strict").run(LabelImgReader([str(tmp_path / "one")] * 2))
    assert len(twice.examples) == 2  # one folder listed twice: oversampling, not a copy


def test_the_current_folder_given_as_dot_is_read(tmp_path, monkeypatch):
    """`imagine data check .` ended in "PosixPath('.') has an empty name"."""
    page(tmp_path, "a", ["a", "b"])
    monkeypatch.chdir(tmp_path)
    result = Checker("strict").run(LabelImgReader(["."]))
    assert len(result.examples) == 1
