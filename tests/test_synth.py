"""Few-shot synthesis: training pages from one marked instance per glyph."""

from __future__ import annotations

import random

import pytest
from data_helpers import page

from imagine_core.errors import ImagineError
from imagine_plugins.datatools.synth import synthesise, tokens
from imagine_plugins.labelimg.plugin import LabelImgReader


@pytest.fixture
def marked(tmp_path):
    page(tmp_path, "one", ["a", "b", "c", "st", "ſ"], size=(200, 80))
    return list(LabelImgReader([str(tmp_path)]).read())


def test_pages_hold_only_marked_glyphs_inside_the_page(marked):
    pages = list(synthesise(marked, 2, words=None, alphabet=None, size=(160, 128), seed=1))
    assert len(pages) == 2
    for example in pages:
        assert example.boxes
        assert {b.label for b in example.boxes} <= {"a", "b", "c", "st", "ſ"}
        assert all(
            0 <= b.xmin < b.xmax <= 160 and 0 <= b.ymin < b.ymax <= 128 for b in example.boxes
        )


def test_synthesis_is_deterministic(marked):
    def run(seed):
        return [
            e.image
            for e in synthesise(marked, 1, words=None, alphabet=None, size=(128, 96), seed=seed)
        ]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_words_are_split_into_marked_labels_longest_first():
    stream = tokens(["stſa"], ["s", "t", "st", "ſ", "a"], random.Random(0))
    assert next(stream) == ["st", "ſ", "a"]


def test_alphabet_with_unmarked_characters_is_refused(marked):
    with pytest.raises(ImagineError, match="nobody marked: z"):
        list(synthesise(marked, 1, words=None, alphabet="abz", size=(128, 96), seed=0))


def test_synth_command_writes_a_training_set(tmp_path, cli):
    (tmp_path / "src").mkdir()
    page(tmp_path / "src", "one", ["a", "b"], size=(200, 80))
    result = cli(
        "data",
        "synth",
        str(tmp_path / "src"),
        str(tmp_path / "out"),
        "--pages",
        "3",
        "--size",
        "128,128",
    )
    assert result.code == 0, result.err
    assert len(list((tmp_path / "out" / "train").glob("*.xml"))) == 3
    assert (tmp_path / "out" / "label_map.pbtxt").is_file()
