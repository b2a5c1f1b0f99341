"""`imagine fewshot`: marks + the document's other pages -> a model, the document teaching
itself through rounds of self-training; resumable; the marks each round keeps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_imagine
from data_helpers import page
from PIL import Image

from imagine_core.api import read_pipeline
from imagine_plugins.fewshot.command import SHAPE_WEIGHT
from imagine_plugins.fewshot.marks import write_marks
from imagine_plugins.labelimg.voc import parse_voc


def _read_page(folder: Path, image: Path, scores: list[float]) -> None:
    """What `imagine ocr --format json` writes for ``image``: a glyph per score."""
    glyphs = [
        {"char": "abc"[i % 3], "box": [4 + 16 * i, 6, 15 + 16 * i, 23], "score": s,
         "uncertain": s < 0.5}
        for i, s in enumerate(scores)
    ]  # fmt: skip
    width, height = Image.open(image).size
    data = {"image": str(image), "width": width, "height": height, "glyphs": glyphs}
    (folder / f"{image.stem}.json").write_text(json.dumps(data), encoding="utf-8")


def test_only_glyphs_read_with_confidence_become_marks(tmp_path):
    pages, read, marked = tmp_path / "pages", tmp_path / "read", tmp_path / "marked"
    for folder in (pages, read, marked):
        folder.mkdir()
    page(pages, "p1", ["a", "b", "c"], size=(200, 80))
    (pages / "p1.xml").unlink()
    _read_page(read, pages / "p1.png", [0.95, 0.4, 0.81])
    kept = write_marks(read, marked, keep_score=0.8)
    assert (kept.marks, kept.glyphs, kept.pages) == (2, 3, 1)
    example = parse_voc(marked / "read_p1.xml")
    assert [b.label for b in example.boxes] == ["a", "c"]  # b was read at 0.4
    assert (marked / "read_p1.png").read_bytes() == (pages / "p1.png").read_bytes()


def test_a_glyph_read_at_another_size_than_its_marks_is_not_kept(tmp_path):
    """With --size-tolerance, a confident glyph twice as wide as its character's marked
    box (a wide m read as n) stays out; one of the marked size goes in."""
    from imagine_plugins.fewshot.marks import marked_sizes

    pages, read, marked, user = (tmp_path / n for n in ("pages", "read", "marked", "user"))
    for folder in (pages, read, marked, user):
        folder.mkdir()
    page(user, "p0", ["a", "b", "c"], size=(200, 80))  # 11 x 17 px boxes
    sizes = marked_sizes(user)
    assert sizes["a"] == pytest.approx((11.0, 17.0))
    page(pages, "p1", ["a", "b"], size=(200, 80))
    (pages / "p1.xml").unlink()
    _read_page(read, pages / "p1.png", [0.9, 0.9])
    data = json.loads((read / "p1.json").read_text())
    data["glyphs"][1]["box"] = [20, 6, 42, 23]  # b, 22 px wide
    (read / "p1.json").write_text(json.dumps(data))
    assert write_marks(read, marked, 0.8, sizes, tolerance=0.3).marks == 1
    assert [b.label for b in parse_voc(marked / "read_p1.xml").boxes] == ["a"]
    assert write_marks(read, tmp_path / "all", 0.8).marks == 2  # tolerance 0: no check


def test_a_page_the_user_marked_is_not_marked_again(tmp_path):
    pages, read, marked = tmp_path / "pages", tmp_path / "read", tmp_path / "marked"
    for folder in (pages, read, marked):
        folder.mkdir()
    page(pages, "p0", ["a", "b"], size=(200, 80))
    page(marked, "p0", ["a", "b"], size=(200, 80))  # the same page, marked by the user
    _read_page(read, pages / "p0.png", [0.9, 0.9])
    assert write_marks(read, marked, 0.8).pages == 0
    assert sorted(p.name for p in marked.iterdir()) == ["p0.png", "p0.xml"]


def test_a_page_read_with_no_confident_glyph_is_left_out(tmp_path):
    pages, read, marked = tmp_path / "pages", tmp_path / "read", tmp_path / "marked"
    for folder in (pages, read, marked):
        folder.mkdir()
    page(pages, "p1", ["a"], size=(200, 80))
    _read_page(read, pages / "p1.png", [0.3])
    assert write_marks(read, marked, keep_score=0.8).pages == 0
    assert not list(marked.iterdir())  # no page without marks: all its ink would be ignored


def test_out_inside_the_pages_folder_is_refused(tmp_path):
    (tmp_path / "marked").mkdir()
    result = run_imagine(
        "fewshot", str(tmp_path / "marked"), str(tmp_path), "--out", str(tmp_path / "fs")
    )
    assert result.code == 2 and "--out" in result.err and "Traceback" not in result.err


def test_out_beside_pages_given_as_files_is_fine(tmp_path):
    """Pages named one by one are read alone: --out beside them reads as no page."""
    import argparse

    from imagine_plugins.fewshot.command import _check

    (tmp_path / "marked").mkdir()
    page(tmp_path, "p1", ["a"], size=(200, 80))
    args = argparse.Namespace(
        marked=tmp_path / "marked", pages=[tmp_path / "p1.png"], out=tmp_path / "fs",
        rounds=1, keep_score=0.8, size_tolerance=0.0,
    )  # fmt: skip
    _check(args)  # no error


def _lines(folder: Path, name: str, lines: list[list[float]]) -> None:
    """What `imagine ocr --format json` writes: glyphs on numbered lines, with scores."""
    glyphs = [
        {"char": "a", "box": [0, 0, 1, 1], "score": s, "uncertain": False, "region": 0,
         "line": n}
        for n, scores in enumerate(lines) for s in scores
    ]  # fmt: skip
    data = {"image": f"{name}.png", "width": 9, "height": 9, "glyphs": glyphs}
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def test_the_estimate_carries_the_composed_pages_score_error_relation_over(tmp_path):
    """ATC: 2 of the composed pages' 10 glyphs lie under 0.5 and their CER is 20%, so the
    threshold is 0.5; the document's glyphs under 0.5 (3 of 6) make the estimate, 50% —
    not the composed pages' 20% — and the line read least surely is named first."""
    from imagine_plugins.fewshot.estimate import estimate

    _lines(tmp_path / "composed", "c", [[0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.95, 1.0]])
    _lines(tmp_path / "document", "page1", [[0.9, 0.4, 0.95], [0.2, 0.3, 0.99]])
    found = estimate(tmp_path / "composed", 0.2, tmp_path / "document")
    assert found.threshold == 0.5
    assert found.cer == pytest.approx(0.5)
    assert found.doubtful_lines[0] == ("page1", "line 2", pytest.approx(2 / 3))
    assert estimate(tmp_path / "composed", 0.0, tmp_path / "document").cer == 0.0
    assert estimate(tmp_path / "composed", 1.0, tmp_path / "document").cer == 1.0


TINY_RUN = [
    "--set", "batch_size=2",
    "--set", "model.ssd.image_resizer.fixed_shape_resizer.height=64",
    "--set", "model.ssd.image_resizer.fixed_shape_resizer.width=64",
    # Two steps read nothing above any sensible score: let every box through.
    "--set", "model.ssd.post_processing.batch_non_max_suppression.score_threshold=0.0",
    "--set", "model.ssd.post_processing.batch_non_max_suppression.max_total_detections=12",
    "--set", "ocr.min_score=0.0",
]  # fmt: skip


@pytest.mark.slow
def test_the_recipe_runs_its_rounds_and_resumes(tmp_path):
    marked, pages = tmp_path / "marked", tmp_path / "pages"
    marked.mkdir()
    pages.mkdir()
    page(marked, "p0", ["a", "b", "c"], size=(200, 80))
    shutil.copy(marked / "p0.png", pages / "p1.png")
    args = ["fewshot", str(marked), str(pages), "--out", str(tmp_path / "fs"), "--rounds", "1",
            "--steps", "2", "--round-steps", "2", "--synth-pages", "4", "--keep-score", "1e-6",
            *TINY_RUN]  # fmt: skip
    result = run_imagine(*args, cwd=tmp_path)
    assert result.code == 0, result.err[-3000:]
    fs = tmp_path / "fs"
    assert (fs / "round1" / "checkpoints" / "checkpoint").is_file()
    assert "initialised from detection checkpoint" in result.err  # round 1 from round 0
    assert list((fs / "marked1").glob("read_p1.xml"))  # the page read became marks
    for run in ("round0", "round1"):  # the recipe's models check shapes when they read
        assert read_pipeline(fs / run / "pipeline.config").ocr.shape_weight == SHAPE_WEIGHT
    assert (fs / "read1" / "p1.txt").is_file()
    assert "marks added" in result.out and "mean confidence" in result.out
    assert "expected CER on these pages" in result.out and "check first: p1" in result.out
    estimate = json.loads((fs / "estimate1.json").read_text())
    assert 0.0 <= estimate["cer"] <= 1.0 and estimate["glyphs"] > 0
    again = run_imagine(*args, cwd=tmp_path)
    assert again.code == 0, again.err[-3000:]
    assert "imagine run" not in again.err and "imagine data" not in again.err  # all done
    assert "marks added" in again.out


def test_a_shape_weight_the_user_sets_is_the_only_one_passed():
    import argparse

    from imagine_plugins.fewshot.command import _sets

    args = argparse.Namespace(overrides=["batch_size=4", "+ocr.shape_weight=0"])
    assert _sets(args, "ocr.shape_weight") and not _sets(args, "ocr.min_score")


def test_recipe_paths_are_quoted_where_hydra_would_read_them_as_syntax():
    """A --out folder named like a sweep job (lr=0.1,steps=2) or with spaces: each step's
    override still names it whole."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from imagine_plugins.fewshot.steps import override

    for path in ("/tmp/plain/run", "/tmp/a b/lr=0.1,steps=2/run", "/tmp/it's/x=1"):
        (parsed,) = OverridesParser.create().parse_overrides([override("data_dir", Path(path))])
        assert parsed.value() == path
    assert override("data_dir", Path("/tmp/plain")) == "data_dir=/tmp/plain"
