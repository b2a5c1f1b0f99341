"""The model a plugin ships: read with when no model is named, named by ``--model base``,
and packed (weights only) so that it fits in the package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import imagine_plugins.base_model.plugin as base_model


@pytest.fixture(scope="module")
def packed(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from imagine_plugins.fewshot.pack import pack

    return pack(tiny_run, tmp_path_factory.mktemp("packed") / "model")


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.glob("ckpt-*"))


def _glyphs(out: Path) -> list:
    (found,) = out.glob("*.json")
    return [(g["char"], g["box"]) for g in json.loads(found.read_text())["glyphs"]]


def test_a_packed_run_reads_what_the_run_reads_at_a_fraction_of_its_size(
    packed, tiny_run, eval_pages, tmp_path, cli
):
    newest = sorted((tiny_run / "checkpoints").glob("ckpt-2.*"))
    assert _size(packed / "checkpoints") < 0.5 * sum(f.stat().st_size for f in newest)
    page = str(sorted(eval_pages.glob("*.png"))[0])
    for name, model in (("run", tiny_run), ("packed", packed)):
        result = cli("ocr", "--model", str(model), page, "--out", str(tmp_path / name),
                     "--format", "json")  # fmt: skip
        assert result.code == 0, result.err
    assert _glyphs(tmp_path / "packed") == _glyphs(tmp_path / "run")


def test_a_packed_model_names_no_checkpoint_to_start_from(tiny_run, tmp_path):
    """A run fine-tuned from the shipped model names the folder it started from; packed,
    its weights are whole and that folder (which it may replace) is named no more."""
    from imagine_core.api import read_pipeline, to_text
    from imagine_plugins.fewshot.pack import _standalone

    pipeline = read_pipeline(tiny_run / "pipeline.config")
    pipeline.train_config.fine_tune_checkpoint = "/somewhere/plugins/base_model/model"
    pipeline.train_config.fine_tune_checkpoint_type = "detection"
    (tmp_path / "pipeline.config").write_text(to_text(pipeline), "utf-8")
    packed = _standalone(tmp_path / "pipeline.config")
    assert "fine_tune_checkpoint" not in packed
    pipeline.train_config.ClearField("fine_tune_checkpoint")
    pipeline.train_config.ClearField("fine_tune_checkpoint_type")
    assert packed == to_text(pipeline)


def test_without_a_model_pages_are_read_with_the_shipped_one(
    packed, eval_pages, tmp_path, cli, monkeypatch
):
    import imagine

    monkeypatch.setenv(base_model.ENV, str(packed))
    page = str(sorted(eval_pages.glob("*.png"))[0])
    assert cli("ocr", page, "--out", str(tmp_path / "default"), "--format", "json").code == 0
    named = cli(
        "ocr", "--model", "base", page, "--out", str(tmp_path / "named"), "--format", "json"
    )
    assert named.code == 0, named.err
    assert _glyphs(tmp_path / "default") == _glyphs(tmp_path / "named")
    assert [g.char for g in imagine.load().read(page).glyphs] == [
        char for char, _ in _glyphs(tmp_path / "named")
    ]


def test_without_a_model_and_none_shipped_the_user_is_told_what_to_pass(
    eval_pages, tmp_path, cli, monkeypatch
):
    monkeypatch.setenv(base_model.ENV, str(tmp_path / "nothing"))
    page = str(sorted(eval_pages.glob("*.png"))[0])
    result = cli("ocr", page, "--out", str(tmp_path / "out"))
    assert result.code == 2
    assert "no model given" in result.err and "--model" in result.err
    assert "Traceback" not in result.err


def test_a_run_starts_from_the_shipped_model_by_its_name(packed, tmp_path):
    from conftest import run_imagine
    from test_training import TINY

    env = {base_model.ENV: str(packed)}
    start = ("+train_config.fine_tune_checkpoint=base",
             "+train_config.fine_tune_checkpoint_type=detection")  # fmt: skip
    args = (*TINY, "steps=1", *start, f"hydra.run.dir={tmp_path}")
    result = run_imagine("run", *args, env=env, cwd=tmp_path)
    assert result.code == 0, result.err[-3000:]
    assert "initialised from detection checkpoint" in result.err
    assert str(packed) in result.err


@pytest.mark.slow
def test_a_run_built_as_the_shipped_model_starts_from_it_unless_told_not_to(packed, tmp_path):
    from conftest import run_imagine
    from test_training import TINY

    env = {base_model.ENV: str(packed)}
    (tmp_path / "base").mkdir()  # a folder named as the shipped model does not stand in for it

    def run(name: str, *args: str):
        folder = tmp_path / name
        result = run_imagine("run", *TINY, "steps=1", *args, f"hydra.run.dir={folder}",
                             env=env, cwd=tmp_path)  # fmt: skip
        assert (folder / "pipeline.config").is_file(), result.err[-3000:]
        return result, (folder / "pipeline.config").read_text()

    default, config = run("default")
    assert default.code == 0, default.err[-3000:]
    assert "initialised from detection checkpoint" in default.err
    assert f'fine_tune_checkpoint: "{packed}"' in config  # the run folder says so
    assert 'fill_from: "base"' in config  # it reads the characters the run's pages lack
    on, config = run("on", f"+train_config.fine_tune_checkpoint={tmp_path / 'default'}",
                     "+train_config.fine_tune_checkpoint_type=detection")  # fmt: skip
    assert on.code == 0 and 'fill_from: "base"' in config  # a run fine-tuned from it too
    scratch, config = run("scratch", "start_from=scratch")
    assert scratch.code == 0 and "initialised from" not in scratch.err
    assert "fine_tune_checkpoint" not in config and "fill_from" not in config
    other, _ = run("other", "model.ssd.image_resizer.fixed_shape_resizer.height=96")
    assert other.code == 0 and "initialised from" not in other.err
    assert "training from scratch: the shipped model 'base' is built otherwise" in other.err
    unknown, _ = run("unknown", "start_from=fraktur")
    assert unknown.code == 2 and "no shipped model is named 'fraktur'" in unknown.err


def test_a_packed_model_is_readable_by_everyone(packed):
    # installed system-wide, the shipped model is read by users other than its packer
    assert packed.stat().st_mode & 0o755 == 0o755


needs_shipped = pytest.mark.skipif(
    not base_model.shipped(base_model.FOLDER),
    reason="no base model ships in plugins/base_model/model",
)


def _read_with_the_shipped_model(lines: list[str], folder: Path) -> str:
    """``lines`` set in DejaVu Sans Mono (its family was held out of the shipped model's
    training: base_model/model/README.md), read by the shipped model."""
    from PIL import Image, ImageDraw, ImageFont

    import imagine
    from imagine_plugins.datatools.demo.fonts import _matplotlib_font

    font = ImageFont.truetype(str(_matplotlib_font().parent / "DejaVuSansMono.ttf"), 26)
    page = Image.new("RGB", (900, 160), "white")
    for row, line in enumerate(lines):
        ImageDraw.Draw(page).text((30, 30 + 50 * row), line, font=font, fill="black")
    page.save(folder / "page.png")
    return imagine.load().read(folder / "page.png").text


@needs_shipped
def test_the_shipped_model_reads_a_face_it_never_trained_on(tmp_path, monkeypatch):
    """DejaVu Sans Mono's family was held out of its training (base_model/model/README.md)."""
    from rapidfuzz.distance import Levenshtein

    monkeypatch.delenv(base_model.ENV, raising=False)
    lines = ["The quick brown fox jumps over the lazy dog.",
             "Pack my box with five dozen liquor jugs,"]  # fmt: skip
    text = _read_with_the_shipped_model(lines, tmp_path)
    truth = "\n".join(lines)
    assert Levenshtein.distance(truth, text) / len(truth) < 0.25, text


@needs_shipped
def test_the_shipped_model_reads_digits_brackets_and_quotes(tmp_path, monkeypatch):
    """Its training text once had the digits 1, 4, 6, 7 and no bracket or quote: a model
    with no class for 0 or ( drops them from every page (`imagine data demo --extras`)."""
    monkeypatch.delenv(base_model.ENV, raising=False)
    lines = ['In 1908 (not 2035) she wrote: "ca va".', "Zurich, 3,562 km; 98% [sic]."]
    text = _read_with_the_shipped_model(lines, tmp_path)
    wanted = set('0235689()"[]%')
    assert len(wanted & set(text)) >= len(wanted) - 2, text
