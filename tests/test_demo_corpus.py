"""The demo corpus: real running text, exact per-glyph boxes, deterministic with a seed."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from imagine_core.labelmap import LabelMap
from imagine_plugins.datatools.demo.corpus import write_corpus
from imagine_plugins.datatools.demo.render import PageStyle, demo_pages
from imagine_plugins.labelimg.plugin import LabelImgReader

SMALL = dict(width=320, height=240, min_size=14, max_size=18)


def _corpus(folder: Path, seed: int = 0, **style) -> Path:
    return write_corpus(
        folder, PageStyle(**{**SMALL, **style}), train=2, eval_=1, seed=seed, progress=False
    )


def test_same_seed_same_corpus_other_seed_other_corpus(tmp_path):
    a, b, c = _corpus(tmp_path / "a", 3), _corpus(tmp_path / "b", 3), _corpus(tmp_path / "c", 4)

    def content(path: Path) -> bytes:  # the XML's <path> is where the image lies
        return re.sub(rb"<path>.*</path>", b"", path.read_bytes())

    for name in ("train/train_0000.png", "train/train_0000.xml", "eval/eval_0000.gt.txt"):
        assert content(a / name) == content(b / name)
    assert (a / "train/train_0000.png").read_bytes() != (c / "train/train_0000.png").read_bytes()


def test_every_visible_glyph_has_a_box_and_whitespace_none(tmp_path):
    folder = _corpus(tmp_path / "d", degradations=[])
    examples = list(LabelImgReader([str(folder / "train")]).read())
    for example in examples:
        text = (folder / "train" / (Path(example.name).stem + ".gt.txt")).read_text(
            encoding="utf-8"
        )
        glyphs = [ch for ch in text if not ch.isspace()]
        assert sorted(b.label for b in example.boxes) == sorted(glyphs)
        assert all(
            0 <= b.xmin < b.xmax <= example.width and 0 <= b.ymin < b.ymax <= example.height
            for b in example.boxes
        )
    labels = LabelMap.read(folder / "label_map.pbtxt").names
    assert not any(label.isspace() for label in labels)
    assert "," in labels or "." in labels  # punctuation is a glyph


def test_boxes_hold_the_ink(tmp_path):
    example, _ = next(demo_pages(1, PageStyle(**SMALL, degradations=[]), seed=1, name="p"))
    from io import BytesIO

    from PIL import Image

    page = np.asarray(Image.open(BytesIO(example.image)).convert("L"))
    inside = np.zeros(page.shape, bool)
    for b in example.boxes:
        inside[int(b.ymin) : int(np.ceil(b.ymax)) + 1, int(b.xmin) : int(np.ceil(b.xmax)) + 1] = (
            True
        )
    dark = page < 128
    assert dark.sum() > 100
    assert dark[inside].sum() / dark.sum() > 0.99  # all ink lies in some glyph's box


@pytest.mark.parametrize(
    "degradation",
    ["texture", "fading", "bleed", "rotation", "perspective", "lighting", "blur", "noise", "jpeg"],
)
def test_each_degradation_renders(degradation):
    style = PageStyle(**SMALL, degradations=[degradation], strength=1.0)
    pages = list(demo_pages(2, style, seed=5, name="p"))
    assert all(e.boxes for e, _ in pages)


def test_font_options(tmp_path, cli):
    result = cli("data", "demo", str(tmp_path / "x"), "--font", str(tmp_path / "nope.ttf"))
    assert result.code == 2 and "font file not found" in result.err
    example, _ = next(demo_pages(1, PageStyle(**SMALL, font="pillow-default"), seed=0, name="p"))
    assert example.boxes


def test_demo_command_and_columns(tmp_path, cli):
    result = cli(
        "data",
        "demo",
        str(tmp_path / "demo"),
        "--train-pages",
        "1",
        "--eval-pages",
        "1",
        "--columns",
        "2",
        "--size-range",
        "12,14",
        "--width",
        "400",
        "--height",
        "300",
    )
    assert result.code == 0, result.err
    example = next(LabelImgReader([str(tmp_path / "demo" / "train")]).read())
    assert min(b.xmin for b in example.boxes) < 200 < max(b.xmin for b in example.boxes)


def test_demo_reader_generates_once(tmp_path):
    from imagine_core.proto_loader import load_proto
    from imagine_plugins.datatools.demo.reader import DemoCorpusReader

    params = load_proto("imagine_plugins.datatools", "demo.proto").DemoCorpus(
        train_pages=1, eval_pages=1, width=320, height=240, directory=str(tmp_path / "c")
    )
    reader = DemoCorpusReader(params)
    assert len(list(reader.read())) == 1
    stamp = (tmp_path / "c" / "corpus.json").stat().st_mtime_ns
    assert len(list(DemoCorpusReader(params).read())) == 1
    assert (tmp_path / "c" / "corpus.json").stat().st_mtime_ns == stamp


SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.mark.skipif(not Path(SANS).is_file(), reason="needs fonts-dejavu")
def test_pages_are_set_in_every_font_and_script_given(tmp_path):
    """Two fonts, four scripts: each page names its (font, script) in corpus.json, and a
    Greek page holds Greek letters and no Latin ones, a Cyrillic page Cyrillic."""
    import json

    folder = write_corpus(
        tmp_path / "mixed",
        PageStyle(**SMALL, font=f"{SERIF},{SANS}", scripts="latin,latin-old,greek,cyrillic",
                  degradations=[]),
        train=8, eval_=1, seed=0, progress=False,
    )  # fmt: skip
    faces = json.loads((folder / "corpus.json").read_text())["faces"]["train"]
    assert {tuple(face) for face in faces} == {
        (font, script)
        for font in (SERIF, SANS)
        for script in ("latin", "latin-old", "greek", "cyrillic")
    }
    for index, (_, script) in enumerate(faces):
        text = (folder / "train" / f"train_{index:04d}.gt.txt").read_text(encoding="utf-8")
        letters = {ch for ch in text if ch.isalpha()}
        latin = {ch for ch in letters if ch.isascii()}
        if script == "greek":
            assert not latin and any("α" <= ch <= "ω" for ch in letters)
        elif script == "cyrillic":
            assert not latin and any("а" <= ch <= "я" for ch in letters)
        else:
            assert latin
    labels = LabelMap.read(folder / "label_map.pbtxt").names
    assert "ſ" in labels and "λ" in labels and "л" in labels


def test_a_script_no_font_given_draws_is_refused(tmp_path):
    from imagine_core.api import ImagineError

    with pytest.raises(ImagineError, match="greek"):
        _corpus(tmp_path / "x", font="pillow-default", scripts="latin,greek")
    with pytest.raises(ImagineError, match="unknown script"):
        _corpus(tmp_path / "y", scripts="klingon")


def test_the_xml_paths_name_the_published_images(tmp_path):
    """Each <path> pointed at the temporary folder the corpus was written in."""
    folder = _corpus(tmp_path / "c", degradations=[])
    for xml in folder.rglob("*.xml"):
        path = re.search(r"<path>(.*)</path>", xml.read_text(encoding="utf-8")).group(1)
        assert Path(path).is_file() and Path(path).parent == xml.parent.resolve()


def test_a_share_of_words_is_set_in_capitals_in_runs_and_fits_the_page(tmp_path, cli):
    """--capitals 0.5: about half the words are in capitals (their boxes labelled so), in
    runs: whole lines of capitals, and lines where a run begins or ends; every line still
    fits the column; with none asked, the pages are those of before."""
    style = dict(width=480, height=640, min_size=14, max_size=16, degradations=[])
    plain = [text for _, text in demo_pages(4, PageStyle(**style), seed=1, name="p")]
    before = [text for _, text in demo_pages(4, PageStyle(**style, capitals=0.0), seed=1, name="p")]
    assert plain == before and not any(line.isupper() for t in plain for line in t.split("\n"))
    pages = list(demo_pages(4, PageStyle(**style, capitals=0.5), seed=1, name="p"))
    lines = [line for _, text in pages for line in text.split("\n")]
    words = [w for line in lines for w in line.split() if any(c.isalpha() for c in w)]
    assert 0.3 * len(words) <= sum(w.isupper() for w in words) <= 0.7 * len(words)
    whole = [line for line in lines if line.isupper()]
    mixed = [line for line in lines if any(w.isupper() and len(w) > 1 for w in line.split())
             and any(w.islower() for w in line.split())]  # fmt: skip
    assert len(whole) >= 0.2 * len(lines) and mixed
    switches = sum(a.isupper() != b.isupper() for a, b in pairwise(words))
    assert switches < 0.2 * len(words)  # runs, not words drawn one by one
    labels = {b.label for example, _ in pages for b in example.boxes}
    assert {"T", "H", "E"} <= labels
    margin = int(style["width"] * 0.06)
    assert max(b.xmax for example, _ in pages for b in example.boxes) <= style["width"] - margin + 2
    result = cli("data", "demo", str(tmp_path / "x"), "--capitals", "1.5")
    assert result.code == 2 and "--capitals" in result.err


def test_extras_give_every_digit_brackets_quotes_and_accents_the_face_draws(tmp_path, cli):
    """--extras: the texts have only the digits 1, 4, 6, 7 and no bracket, quote or accent;
    a share of words dressed gives them all, each glyph boxed and labelled as set."""
    style = dict(width=480, height=640, min_size=14, max_size=16, degradations=[])
    plain = "".join(text for _, text in demo_pages(6, PageStyle(**style), seed=1, name="p"))
    assert not set('023589()"é') & set(plain)
    pages = list(demo_pages(6, PageStyle(**style, extras=0.3), seed=1, name="p"))
    text = "".join(page_text for _, page_text in pages)
    assert set("0123456789") <= set(text)
    assert set(text) & set("()[]") and set(text) & set("\"“”«»'‘’")
    assert any(ch in text for ch in "áàâäéèêëíóöúüçñ")
    labels = "".join(sorted(b.label for example, _ in pages for b in example.boxes))
    assert sorted(text.replace("\n", "").replace(" ", "")) == sorted(labels)
    result = cli("data", "demo", str(tmp_path / "x"), "--extras", "-0.1")
    assert result.code == 2 and "--extras" in result.err


def test_extras_the_face_cannot_draw_are_not_set():
    """A face without a character never gets it: no .notdef box labelled as a glyph."""
    from imagine_plugins.datatools.demo.dress import dressed
    from imagine_plugins.datatools.demo.fonts import default_font
    from imagine_plugins.datatools.demo.scripts import draws

    rng = np.random.default_rng(0)
    assert {dressed("word", 1.0, rng, True, lambda found: False) for _ in range(50)} == {"word"}
    assert len({dressed("word", 1.0, rng, True, lambda found: True) for _ in range(50)}) > 20
    assert draws(default_font(), "é") and not draws(default_font(), "\U000f0001")
