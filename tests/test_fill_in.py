"""``ocr.fill_from``: the model a run started from reads the characters the run's marks lack
(a capital, a digit that page 0 never showed), where the reading model found nothing or
was less sure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import imagine_plugins.base_model.plugin as base_model
from imagine_core.api import Glyph, LabelMap, read_pipeline, to_text
from imagine_plugins.ocr.fill_in import fill_in, fill_in_for


def _glyph(char: str, x: float, score: float) -> Glyph:
    return Glyph(box=(x, 0.0, x + 10.0, 20.0), char=char, score=score)


LATIN = {"a", "c", "e", "n", "o"}


def test_a_character_the_model_lacks_fills_a_place_it_left_empty():
    mine = [_glyph("a", 0, 0.9), _glyph("n", 40, 0.9)]
    theirs = [_glyph("a", 0, 0.99), _glyph("C", 20, 0.8), _glyph("n", 40, 0.6)]
    glyphs, filled = fill_in(mine, theirs, LATIN, 0.5)
    assert filled == 1
    assert sorted((g.char, g.box[0]) for g in glyphs) == [("C", 20), ("a", 0), ("n", 40)]


def test_it_replaces_a_glyph_the_model_was_less_sure_of_never_a_surer_one():
    mine = [_glyph("c", 0, 0.4), _glyph("e", 20, 0.9)]
    theirs = [_glyph("C", 1, 0.8), _glyph("E", 21, 0.8)]
    glyphs, filled = fill_in(mine, theirs, LATIN, 0.5)
    assert filled == 1
    assert sorted(g.char for g in glyphs) == ["C", "e"]


def test_unsure_glyphs_known_characters_and_other_scripts_are_left_out():
    theirs = [
        _glyph("C", 0, 0.3),  # under the reading model's low_confidence
        _glyph("o", 20, 0.99),  # a character the reading model knows: its own drawing wins
        _glyph("д", 40, 0.99),  # Cyrillic, a script the reading model does not read
        _glyph("7", 60, 0.9),  # a digit: no script, shared by every one
    ]
    glyphs, filled = fill_in([], theirs, LATIN, 0.5)
    assert [g.char for g in glyphs] == ["7"] and filled == 1


@pytest.fixture(scope="module")
def shipped(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from imagine_plugins.fewshot.pack import pack

    return pack(tiny_run, tmp_path_factory.mktemp("shipped") / "model")


def test_only_a_model_that_adds_characters_in_a_shared_script_is_read_twice(shipped, monkeypatch):
    monkeypatch.setenv(base_model.ENV, str(shipped))
    settings = read_pipeline(shipped / "pipeline.config").ocr
    settings.fill_from = "base"
    names = ["?", *LabelMap.read(shipped / "label_map.pbtxt").names]
    latin = [n for n in names if n.isascii() and n.isalpha()]
    fewer = [n for n in names if n != latin[0]]
    fill = fill_in_for(settings, fewer)
    assert fill is not None and fill.known == set(fewer) - {"?"}
    assert fill_in_for(settings, names) is None  # nothing to add
    assert fill_in_for(settings, ["?", "ᚠ", "ᚢ", "ᚦ", "7"]) is None  # runes: no shared script
    settings.fill_from = ""
    assert fill_in_for(settings, fewer) is None


def test_ocr_fills_in_with_the_model_the_pipeline_names_and_says_so(
    tiny_run, shipped, eval_pages, tmp_path, cli, monkeypatch
):
    """A copy of the tiny run that reads nothing itself (min_score 1) and calls one of its
    Latin letters by a rune: the run it names in ``ocr.fill_from`` fills in that letter
    wherever it reads it, ``--no-fill-in`` reads with the copy alone, and ``--fill-in``
    asks the shipped model where the pipeline names none."""
    monkeypatch.setenv(base_model.ENV, str(shipped))
    model = tmp_path / "model"
    shutil.copytree(shipped, model)
    names = LabelMap.read(model / "label_map.pbtxt").names
    page = str(sorted(eval_pages.glob("*.png"))[0])
    assert cli("ocr", "--model", "base", page, "--out", str(tmp_path / "base"),
               "--format", "json", "--low-confidence", "0").code == 0  # fmt: skip
    read = _chars(tmp_path / "base")
    letter = next(c for c in sorted(read, key=read.count, reverse=True) if c in names)
    names[names.index(letter)] = "ᚠ"
    LabelMap.from_names(names).write(model / "label_map.pbtxt")
    pipeline = read_pipeline(model / "pipeline.config")
    pipeline.ocr.fill_from, pipeline.ocr.min_score = "base", 1.0
    (model / "pipeline.config").write_text(to_text(pipeline), "utf-8")
    filled = cli("ocr", "--model", str(model), page, "--out", str(tmp_path / "filled"),
                 "--format", "json", "--low-confidence", "0")  # fmt: skip
    assert filled.code == 0, filled.err
    assert "filled in by 'base'" in filled.err
    assert _chars(tmp_path / "filled") == [c for c in read if c == letter]
    alone = cli("ocr", "--model", str(model), page, "--out", str(tmp_path / "alone"),
                "--format", "json", "--no-fill-in")  # fmt: skip
    assert alone.code == 0 and _chars(tmp_path / "alone") == []
    pipeline.ocr.ClearField("fill_from")  # a run made before fill_from: --fill-in asks for it
    (model / "pipeline.config").write_text(to_text(pipeline), "utf-8")
    asked = cli("ocr", "--model", str(model), page, "--out", str(tmp_path / "asked"),
                "--format", "json", "--low-confidence", "0", "--fill-in")  # fmt: skip
    assert asked.code == 0 and _chars(tmp_path / "asked") == _chars(tmp_path / "filled")


def _chars(out: Path) -> list[str]:
    import json

    (found,) = out.glob("*.json")
    return [g["char"] for g in json.loads(found.read_text())["glyphs"]]
