"""Few-shot synthesis: training pages from one marked instance per glyph."""

from __future__ import annotations

import random

import pytest
from data_helpers import page

from imagine_core.errors import ImagineError
from imagine_plugins.datatools.synth import read_sources, synthesise, tokens
from imagine_plugins.labelimg.plugin import LabelImgReader


@pytest.fixture
def marked(tmp_path):
    page(tmp_path, "one", ["a", "b", "c", "st", "ſ"], size=(200, 80))
    return read_sources(list(LabelImgReader([str(tmp_path)]).read()))


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
    train = sorted(p.name for p in (tmp_path / "out" / "train").glob("*.xml"))
    # The composed pages, and the marked page itself (as many times as --marked-copies says).
    assert train == ["marked_one_00.xml", "synth_00000.xml", "synth_00001.xml", "synth_00002.xml"]
    assert len(list((tmp_path / "out" / "eval").glob("*.xml"))) == 2  # held out, another seed
    assert len(list((tmp_path / "out" / "preview").glob("*.preview.png"))) == 4
    assert (tmp_path / "out" / "label_map.pbtxt").is_file()


@pytest.mark.slow
def test_documented_few_shot_commands_run_with_no_eval_folder(tmp_path, cli):
    """mark → synth → run → ocr, as docs/data.md says, with only DIR/train to train on."""
    from conftest import run_imagine

    (tmp_path / "marked").mkdir()
    page(tmp_path / "marked", "one", ["a", "b", "c"], size=(200, 80))
    made = cli(
        "data",
        "synth",
        str(tmp_path / "marked"),
        str(tmp_path / "synth"),
        "--pages",
        "6",
        "--size",
        "128,128",
        "--eval-pages",
        "0",
        "--preview",
        "0",
    )
    assert made.code == 0, made.err
    assert not list((tmp_path / "synth" / "eval").glob("*.xml"))
    import shutil

    shutil.rmtree(tmp_path / "synth" / "eval")
    run = run_imagine(
        "run",
        "dataset=labelimg",
        f"data_dir={tmp_path / 'synth'}",
        "steps=2",
        "batch_size=2",
        "model.ssd.image_resizer.fixed_shape_resizer.height=64",
        "model.ssd.image_resizer.fixed_shape_resizer.width=64",
        f"hydra.run.dir={tmp_path / 'run'}",
        cwd=tmp_path,
    )
    assert run.code == 0, run.err[-3000:]
    assert "held out for evaluation" in run.err
    assert "ocr.min_glyph_height=" in run.err and "the glyphs on the training pages" in run.err
    config = (tmp_path / "run" / "pipeline.config").read_text()
    assert "min_glyph_height" in config  # recorded: imagine ocr reads pages at that scale
    assert "glyph_height_percentile: 80" in config  # and how it was measured
    read = run_imagine(
        "ocr",
        "--model",
        str(tmp_path / "run"),
        str(tmp_path / "marked" / "one.png"),
        "--out",
        str(tmp_path / "read"),
        cwd=tmp_path,
    )
    assert read.code == 0, read.err[-3000:]
    assert (tmp_path / "read" / "one.txt").is_file()
