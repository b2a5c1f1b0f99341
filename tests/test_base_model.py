"""`imagine base-model`: the installed faces split by whole family into training and
held-out ones, the benchmark's test faces never used, each held-out family scored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_imagine

from imagine_plugins.datatools.demo.faces import family, find_faces
from imagine_plugins.fewshot.base import split_families

MPL = None
try:
    from imagine_plugins.datatools.demo.fonts import _matplotlib_font

    MPL = _matplotlib_font()
except ImportError:  # pragma: no cover - matplotlib comes with the test dependencies
    pass
needs_fonts = pytest.mark.skipif(MPL is None, reason="needs matplotlib's DejaVu faces")


def _fonts(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(MPL.parent / name, folder / name)
    return folder


@needs_fonts
def test_widths_and_weights_of_one_design_are_one_family():
    assert family(MPL.parent / "DejaVuSans-Bold.ttf") == "DejaVu Sans"
    assert family(MPL.parent / "DejaVuSansDisplay.ttf") == "DejaVu Sans"
    assert family(MPL.parent / "DejaVuSerif.ttf") == "DejaVu Serif"


@needs_fonts
def test_sign_faces_are_no_text_faces(tmp_path):
    fonts = _fonts(tmp_path / "fonts", "DejaVuSerif.ttf", "LastResortHE-Regular.ttf")
    assert find_faces([fonts], "latin") == {"DejaVu Serif": [str(fonts / "DejaVuSerif.ttf")]}
    result = run_imagine("data", "fonts", str(fonts), "--json", str(tmp_path / "f.json"))
    assert result.code == 0 and "DejaVu Serif: 1 face(s)" in result.out
    assert json.loads((tmp_path / "f.json").read_text()) == find_faces([fonts], "latin")


def test_whole_families_are_held_out():
    families = {f"F{i}": [f"f{i}a.ttf", f"f{i}b.ttf"] for i in range(10)}
    split = split_families(families)
    assert split["held-out families"] == ["F4", "F9"]
    assert split["family of"]["f4b.ttf"] == "F4"
    assert set(split["held out"]) == {"f4a.ttf", "f4b.ttf", "f9a.ttf", "f9b.ttf"}
    assert not set(split["held out"]) & set(split["train"])
    assert split_families(families, ["F0"])["held out"] == ["f0a.ttf", "f0b.ttf"]


@needs_fonts
def test_an_unknown_family_to_hold_out_is_named(tmp_path):
    fonts = _fonts(tmp_path / "fonts", "DejaVuSerif.ttf", "DejaVuSans.ttf")
    result = run_imagine("base-model", str(tmp_path / "b"), "--fonts", str(fonts),
                         "--hold-out", "Times")  # fmt: skip
    assert result.code == 2 and "Times" in result.err and "DejaVu Sans" in result.err
    assert "Traceback" not in result.err


TINY = [
    "--set", "batch_size=2",
    "--set", "model.ssd.image_resizer.fixed_shape_resizer.height=64",
    "--set", "model.ssd.image_resizer.fixed_shape_resizer.width=64",
]  # fmt: skip


@pytest.mark.slow
@needs_fonts
def test_the_recipe_trains_scores_held_out_families_and_resumes(tmp_path):
    """The benchmark's test faces are never used (here a DejaVu face in a folder named as
    Blankenburg's), the named family is held out whole and scored, a rerun trains nothing."""
    fonts = _fonts(tmp_path / "fonts", "DejaVuSerif.ttf", "DejaVuSans.ttf", "DejaVuSansMono.ttf")
    _fonts(fonts / "blankenburg", "DejaVuSans-Bold.ttf")
    args = ["base-model", str(tmp_path / "base"), "--fonts", str(fonts), "--hold-out",
            "DejaVu Serif", "--pages", "2", "--eval-pages", "2", "--steps", "2",
            "--scripts", "latin,greek", *TINY]  # fmt: skip
    result = run_imagine(*args, cwd=tmp_path)
    assert result.code == 0, result.err[-3000:]
    base = tmp_path / "base"
    faces = json.loads((base / "faces.json").read_text())
    assert faces["held-out families"] == ["DejaVu Serif"]
    assert all("Serif" not in face for face in faces["train"])
    assert not [face for face in faces["family of"] if "blankenburg" in face]
    assert all(set(faces["scripts of"][face]) == {"latin", "greek"} for face in faces["train"])
    unseen = json.loads((base / "unseen" / "corpus.json").read_text())["faces"]["eval"]
    assert {Path(face).name for face, _ in unseen} == {"DejaVuSerif.ttf"}
    assert (base / "run" / "checkpoints" / "checkpoint").is_file()
    assert (base / "model" / "checkpoints" / "checkpoint").is_file()  # packed to ship
    assert "to ship it: copy" in result.out
    figures = json.loads((base / "figures.json").read_text())
    assert set(figures) == {"all"} | {f"DejaVu Serif ({s})" for _, s in unseen}
    assert figures["all"]["CER"] >= 0 and figures["all"]["characters"] > 0
    assert "base model on held-out families" in result.out and "DejaVu Serif" in result.out
    again = run_imagine(*args, cwd=tmp_path)
    assert again.code == 0 and "imagine run" not in again.err and "imagine data" not in again.err


def test_a_design_group_is_held_out_whole_and_named_relatives_are_reported():
    names = ["Cantarell", "Go", "Go Mono", "Hack", "Lato", "PT Sans", "PT Sans Narrow", "PT Serif"]
    split = split_families({name: [f"{name}.ttf"] for name in names})
    # five groups: cantarell, go, hack, lato, pt — the fifth is held out with every member
    assert split["held-out families"] == ["PT Sans", "PT Sans Narrow", "PT Serif"]
    assert split["relatives in training"] == []
    named = split_families({name: [f"{name}.ttf"] for name in names}, ["Go Mono"])
    assert named["relatives in training"] == ["Go"]


def test_a_refresh_keeps_every_class_of_the_model_it_starts_from(tmp_path):
    """Characters the shipped model reads but no training page of a refresh holds (a rare
    capital) stay classes of the refreshed model; from scratch, the pages' own classes."""
    from imagine_core.api import LabelMap, get_plugins, make
    from imagine_plugins.fewshot.base import _keep_classes

    shipped = make(get_plugins().registry.get("trained_model", "base")).folder()
    known = LabelMap.read(Path(shipped) / "label_map.pbtxt").names
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    LabelMap.from_names(["a", "b", "ʬ"]).write(corpus / "label_map.pbtxt")
    _keep_classes(corpus, ["start_from=scratch"])
    assert LabelMap.read(corpus / "label_map.pbtxt").names == ["a", "b", "ʬ"]
    _keep_classes(corpus, ["batch_size=2"])
    names = LabelMap.read(corpus / "label_map.pbtxt").names
    assert sorted(names) == sorted(set(known) | {"a", "b", "ʬ"})
    run = tmp_path / "run"  # a run of one's own to start from: its classes, not the shipped
    run.mkdir()
    LabelMap.from_names(["a", "ꝛ"]).write(run / "label_map.pbtxt")
    LabelMap.from_names(["a", "b"]).write(corpus / "label_map.pbtxt")
    _keep_classes(corpus, [f"train_config.fine_tune_checkpoint={run}"])
    assert sorted(LabelMap.read(corpus / "label_map.pbtxt").names) == ["a", "b", "ꝛ"]
