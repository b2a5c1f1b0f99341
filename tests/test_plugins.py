"""Plugins load from the entry-point group 'imagine', third-party exactly like bundled."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest
from conftest import run_imagine

from imagine_core.api import FeatureExtractor
from imagine_core.plugins import get_plugins


def test_bundled_plugins_load_through_entry_points():
    loaded = get_plugins()
    assert {"labelimg", "tpu_rules"} <= set(loaded.names())
    record = loaded.registry.get("dataset_reader", "labelimg_input_reader")
    assert record.distribution == "imagine-ocr"
    assert not loaded.failed


def test_plugins_table_lists_plugins_components_and_kinds(cli):
    result = cli("plugins")
    assert result.code == 0
    assert "labelimg" in result.out and "imagine-ocr" in result.out
    assert "dataset_reader" in result.out and "labelimg_input_reader" in result.out


def test_third_party_plugin_appears_with_its_typed_component(cli, with_examples):
    result = cli("plugins")
    assert result.code == 0
    assert "imagine-plugin-wide" in result.out and "0.2.0" in result.out
    assert "wide_glyph_net" in result.out
    assert "imagine_plugin_wide.WideGlyphNetParams" in result.out
    assert "model=wide_glyph" in result.out  # the config group option it contributes


def test_plugin_failing_at_import_is_reported_and_the_cli_keeps_working(cli, with_examples):
    result = cli("plugins")
    assert result.code == 0
    assert "broken" in result.out and "imagine-plugin-broken" in result.out
    assert "imagine_dependency_that_is_not_installed" in result.out
    assert cli("config", "show").code == 0
    failure = get_plugins().failed[0]
    assert (failure.name, failure.distribution) == ("broken", "imagine-plugin-broken")


def test_disabled_plugins_are_not_loaded(cli, with_examples, monkeypatch):
    monkeypatch.setenv("IMAGINE_DISABLE_PLUGINS", "broken, wide")
    result = cli("plugins")
    assert "wide_glyph_net" not in result.out
    assert "disabled by IMAGINE_DISABLE_PLUGINS: broken, wide" in result.out
    assert not get_plugins().failed


def test_third_party_config_group_composes_with_its_typed_params(cli, with_examples):
    result = cli("config", "show", "model=wide_glyph")
    assert result.code == 0, result.err
    assert 'type: "wide_glyph_net"' in result.out
    assert "[type.googleapis.com/imagine_plugin_wide.WideGlyphNetParams]" in result.out
    assert "width: 48" in result.out


def test_third_party_params_are_type_checked(cli, with_examples):
    result = cli(
        "config", "show", "model=wide_glyph", "+model.ssd.feature_extractor.params.widht=3"
    )
    assert result.code == 2
    assert "unknown key 'widht' in WideGlyphNetParams" in result.err
    assert "did you mean 'width'" in result.err
    result = cli(
        "config", "show", "model=wide_glyph", "model.ssd.feature_extractor.params.width=wide"
    )
    assert result.code == 2 and "expects a whole number" in result.err


def test_third_party_component_validates_in_a_config(cli, with_examples):
    result = cli("config", "validate", "--skip-paths", "model=wide_glyph")
    assert "feature_extractor 'wide_glyph_net'" not in result.out  # it is provided
    assert "feature_extractor.params" not in result.out  # and it reads its params
    assert result.code == 0 and ": valid" in result.out


def test_typed_params_reach_the_factory(with_examples):
    from imagine_core.api import instantiate
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import build_pipeline

    loaded = get_plugins()
    pipeline, _ = build_pipeline(
        compose(["model=wide_glyph", "model.ssd.feature_extractor.params.width=64"]), loaded
    )
    slot = pipeline.model.ssd.feature_extractor
    extractor = instantiate(
        loaded.registry.get("feature_extractor", "wide_glyph_net"), slot, pipeline
    )
    assert extractor.width == int(64 * 0.35)
    assert extractor.num_blocks == 2


def test_plugins_command_in_a_fresh_process_with_the_installed_examples(with_examples):
    result = run_imagine("plugins", env={"PYTHONPATH": str(with_examples)})
    assert result.code == 0
    assert "wide_glyph_net" in result.out and "broken" in result.out


def test_a_third_party_plugin_adds_a_top_level_command(with_examples):
    env = {"PYTHONPATH": str(with_examples)}
    listed = run_imagine("--help", env=env)
    assert listed.code == 0 and "wide-levels" in listed.out and "feature maps" in listed.out
    result = run_imagine("wide-levels", "--min-level", "3", "--max-level", "4", env=env)
    assert result.code == 0, result.err[-2000:]
    assert result.out.split("\n")[:2] == [
        "level 3: stride 8, 32 channels",
        "level 4: stride 16, 32 channels",
    ]
    unknown = run_imagine("wide-levels", env={"IMAGINE_DISABLE_PLUGINS": "wide", **env})
    assert unknown.code == 2 and "no loaded plugin provides it" in unknown.err


class _OldStyle(FeatureExtractor):
    """A feature extractor of the first guide: a __call__, no build."""

    def __call__(self, images, training=False):
        return {}


class _Duck:
    """Not a FeatureExtractor at all, and no build either."""

    size_multiple = 8


@pytest.mark.parametrize("made", [_OldStyle, _Duck], ids=["subclass", "duck-typed"])
def test_a_part_that_lacks_what_its_meta_architecture_uses_is_named_by_validate(made):
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import validate

    loaded = get_plugins()
    with loaded.registry.registering("oldnet", "imagine-plugin-oldnet"):
        loaded.registry.add("feature_extractor", "old_net", factory=lambda **_: made())
    composed = compose(["model.ssd.feature_extractor.type=old_net"])
    _, report = validate(composed, loaded, check_paths=False)
    (problem,) = report.errors
    assert problem.path == "model.ssd.feature_extractor"
    assert "'old_net' of plugin 'oldnet' (imagine-plugin-oldnet)" in problem.what
    assert "does not fit FeatureExtractor: it has no build" in problem.what
    assert "imagine_core.api.FeatureExtractor" in problem.fix


def test_a_box_predictor_of_the_other_meta_architecture_is_refused_by_validate(cli):
    predictor = "model.faster_rcnn.second_stage_box_predictor"
    result = cli(
        "config",
        "validate",
        "--skip-paths",
        "model=glyph_faster_rcnn_small",
        f"~{predictor}.mask_rcnn_box_predictor",
        f"+{predictor}.weight_shared_convolutional_box_predictor.depth=8",
    )
    assert result.code == 2
    assert f"{predictor}: the box_predictor 'weight_shared_convolutional_box_predictor'" in (
        result.out
    )
    assert "does not fit RcnnBoxPredictor: it has no build(num_classes, fc_layers, fc_dims)" in (
        result.out
    )


@pytest.mark.slow
def test_a_third_party_feature_extractor_trains_and_its_model_reads_a_page(with_examples, tmp_path):
    from conftest import LOOSE
    from test_training import TINY

    env, run = {"PYTHONPATH": str(with_examples)}, tmp_path / "run"
    args = ("model=wide_glyph", *TINY, *LOOSE, "steps=30", f"hydra.run.dir={run}")
    result = run_imagine("run", *args, env=env, cwd=tmp_path)
    assert result.code == 0, result.err[-3000:]
    assert 'type: "wide_glyph_net"' in (run / "pipeline.config").read_text()
    losses = [float(x) for x in re.findall(r"^step \d+/30  loss ([\d.]+)", result.err, re.M)]
    assert len(losses) == 30
    assert statistics.mean(losses[-5:]) < statistics.mean(losses[:5]) - 0.2  # it learns
    from conftest import demo_eval_dir

    page = sorted(demo_eval_dir(run).glob("*.png"))[0]
    out = tmp_path / "out"
    read = run_imagine(
        "ocr", "--model", str(run), "--out", str(out), "--format", "json", str(page), env=env
    )
    assert read.code == 0, read.err[-3000:]
    found = json.loads((out / f"{page.stem}.json").read_text())
    assert found["glyphs"] and found["text"].strip()
    for glyph in found["glyphs"]:
        x0, y0, x1, y1 = glyph["box"]
        assert 0 <= x0 < x1 <= found["width"] and 0 <= y0 < y1 <= found["height"]


def test_the_guide_shows_the_example_plugin_as_it_is():
    """docs/plugins.md walks through the example plugin the tests install and train: its
    module and its .proto are shown whole, so what a reader copies is what is tested."""
    guide = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text()
    blocks = re.findall(r"```(?:python|proto)\n(.*?)```", guide, re.S)
    examples = Path(__file__).parent / "example_plugins"
    for plugin, proto in (("wide", "wide.proto"), ("csvmarks", "csvmarks.proto")):
        for name in ("__init__.py", proto):
            path = examples / plugin / f"imagine_plugin_{plugin}" / name
            assert path.read_text() in blocks, f"docs/plugins.md lacks {path} as it is"


def test_a_third_party_dataset_reader_and_writer_serve_data_convert(cli, with_examples, tmp_path):
    """The csvmarks example: `--to csv` writes through its writer, and its folder is read
    back without --format, found by the reader's claims."""
    from data_helpers import boxes_of, page

    from imagine_core.api import reader_for

    marked = tmp_path / "marked"
    marked.mkdir()
    page(marked, "p1")
    page(marked, "p2", labels=["A", "a"])
    to_csv = cli("data", "convert", str(marked), "--to", "csv", str(tmp_path / "csv"))
    assert to_csv.code == 0, to_csv.err
    marks = tmp_path / "csv" / "train"
    assert (marks / "marks.csv").read_text().startswith("image,label,xmin,ymin,xmax,ymax")
    back = cli("data", "convert", str(marks), "--to", "labelimg", str(tmp_path / "back"))
    assert back.code == 0, back.err
    originals = {e.name: boxes_of(e) for e in reader_for(str(marked)).read()}
    returned = {e.name: boxes_of(e) for e in reader_for(str(tmp_path / "back" / "train")).read()}
    assert returned == originals and len(originals) == 2
    listed = run_imagine("data", "convert", "--help", env={"PYTHONPATH": str(with_examples)})
    assert "reads: coco, csv, labelimg" in " ".join(listed.out.split())  # with the bundled


def test_a_third_party_readers_bad_row_is_named_with_its_line(cli, with_examples, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    (marks / "marks.csv").write_text("image,label,xmin,ymin,xmax,ymax\np.png,a,1,2,x,4\n")
    (marks / "p.png").write_bytes(b"")
    result = cli("data", "check", str(marks))
    assert result.code == 2
    assert "marks.csv:2" in result.out and "a corner is not a number" in result.out


@pytest.mark.slow
def test_a_third_party_output_writer_serves_imagine_ocr(
    tiny_run, eval_pages, with_examples, tmp_path
):
    (page,) = eval_pages.glob("*.png")
    env = {"PYTHONPATH": str(with_examples)}
    args = ("--model", str(tiny_run), "--out", str(tmp_path), "--format", "csv,txt")
    result = run_imagine("ocr", *args, str(page), env=env)
    assert result.code == 0, result.err[-3000:]
    rows = (tmp_path / f"{page.stem}.csv").read_text().splitlines()
    text = (tmp_path / f"{page.stem}.txt").read_text()
    assert rows[0] == "image,label,xmin,ymin,xmax,ymax,score"
    assert len(rows) - 1 == len("".join(text.split()))  # one row per glyph read
    assert all(row.startswith(f"{page.name},") for row in rows[1:])


def _schema_paths(descriptor, prefix: str = "", stack: tuple = ()) -> list[str]:
    """Every dotted path through the pipeline schema (repeated fields without index)."""
    paths = []
    for field in descriptor.fields:
        path = f"{prefix}.{field.name}" if prefix else field.name
        paths.append(path)
        sub = field.message_type
        if sub is not None and sub.full_name != "google.protobuf.Any" and sub not in stack:
            paths.extend(_schema_paths(sub, path, (*stack, sub)))
    return paths


def test_every_field_a_bundled_plugin_says_it_reads_is_a_schema_path():
    """A pattern in imagine_reads that matches nothing (a typo, a renamed field) would
    leave the field it meant reported as unread; each must match some schema path."""
    import fnmatch

    from imagine_core.schema import pipeline_class

    paths = _schema_paths(pipeline_class().DESCRIPTOR)
    loaded = get_plugins()
    dangling = [
        f"{impl.plugin_name}: {pattern}"
        for impl in loaded.manager.hook.imagine_reads.get_hookimpls()
        for pattern in impl.function()
        if not any(fnmatch.fnmatchcase(path, pattern) for path in paths)
    ]
    assert not dangling
    assert len(paths) > 500  # the whole schema was walked
