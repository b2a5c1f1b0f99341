"""`imagine run` goes through Hydra's main: it composes, validates, writes the resolved
pipeline.config into the run folder, and stops clearly when a component is missing."""

from __future__ import annotations

import csv

from conftest import run_imagine
from test_training import TINY

from imagine_core.config.convert import read_text_file
from imagine_core.schema import pipeline_class

MISSING = ("model=ssd_mobilenet_v2", "model.ssd.feature_extractor.type=ssd_inception_v2")


def test_run_writes_pipeline_config_then_names_the_missing_components(tmp_path):
    out = tmp_path / "run"
    result = run_imagine("run", *MISSING, "lr=0.002", f"hydra.run.dir={out}", cwd=tmp_path)
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert "feature_extractor 'ssd_inception_v2'" in result.err
    assert "loaded plugins: base_model (imagine-ocr" in result.err  # every one, by name
    assert "coco (imagine-ocr" in result.err and "models (imagine-ocr" in result.err
    pipeline = read_text_file(out / "pipeline.config", pipeline_class())
    schedule = pipeline.train_config.optimizer.adam_optimizer.learning_rate
    assert abs(schedule.cosine_decay_learning_rate.learning_rate_base - 0.002) < 1e-9
    assert (out / ".hydra" / "overrides.yaml").is_file()  # Hydra's own record of the run


def test_run_folder_is_named_after_the_command_line(tmp_path):
    result = run_imagine("run", *MISSING, cwd=tmp_path)
    assert result.code == 2
    folder = "model.ssd.feature_extractor.type=ssd_inception_v2,model=ssd_mobilenet_v2"
    assert (tmp_path / "outputs" / folder / "pipeline.config").is_file()


def test_long_command_lines_never_share_a_run_folder():
    from imagine_core.config.locations import NAME_BYTES, run_name

    base = "data_dir=/" + "very/long/path/" * 20
    names = {run_name(f"{base},lr=0.001"), run_name(f"{base},lr=0.01"), run_name(f"ä{base}")}
    assert len(names) == 3  # the difference past the cut still tells them apart
    assert all(len(n.encode()) <= NAME_BYTES and "/" not in n for n in names)
    assert run_name("lr=0.01,steps=5") == "lr=0.01,steps=5"  # short names stay readable


def test_run_stops_before_hydra_on_a_config_error(tmp_path):
    result = run_imagine("run", "model=ssd_mobilenet_v3", cwd=tmp_path)
    assert result.code == 2
    assert "did you mean 'ssd_mobilenet_v2'" in result.err
    assert not (tmp_path / "outputs").exists()


def test_run_reports_missing_data_paths(tmp_path):
    result = run_imagine("run", "dataset=labelimg", f"data_dir={tmp_path / 'none'}", cwd=tmp_path)
    assert result.code == 2
    assert "folder not found" in result.err and "none/train" in result.err


def test_multirun_sweeps_the_learning_rate_and_writes_a_summary(tmp_path):
    sweep = tmp_path / "sweep"
    result = run_imagine(
        "run",
        "-m",
        "hydra/launcher=joblib",  # the jobs run in parallel worker processes
        "lr=0.01,0.001",
        "steps=1",
        *TINY,
        f"hydra.sweep.dir={sweep}",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err[-3000:]
    rates = []
    for job in ("0", "1"):
        pipeline = read_text_file(sweep / job / "pipeline.config", pipeline_class())
        schedule = pipeline.train_config.optimizer.adam_optimizer.learning_rate
        rates.append(round(schedule.cosine_decay_learning_rate.learning_rate_base, 6))
    assert rates == [0.01, 0.001]
    rows = list(csv.DictReader((sweep / "summary.csv").open()))
    assert [r["overrides"].split()[0] for r in rows] == ["lr=0.01", "lr=0.001"]
    assert all(r["status"] == "done" and r["CER"] for r in rows)
    assert "sweep summary" in result.out and "best: job " in result.out
    # Hydra's job log keeps what each job printed, also from the worker processes.
    log = (sweep / "0" / "imagine.log").read_text(encoding="utf-8")
    assert "run folder:" in log and "evaluation" in log and "\x1b[" not in log


def test_run_help_is_hydras(tmp_path):
    result = run_imagine("run", "--help", cwd=tmp_path)
    assert result.code == 0
    assert "== Configuration groups ==" in result.out
    assert "model: " in result.out and "glyph_retinanet_small" in result.out


def test_a_component_changing_the_pipeline_during_the_run_fails_it_named(tmp_path):
    """After imagine_resolve_pipeline the pipeline is read-only: pipeline.config in the run
    folder is what every component was given, so a runner (or anything it builds) that
    changes it fails the run with one message naming its plugin and the change."""
    import pluggy
    import pytest

    from imagine_core import hookspecs
    from imagine_core.api import PluginError, Runner
    from imagine_core.pipeline import execute
    from imagine_core.plugins import LoadedPlugins
    from imagine_core.registry import Registry

    class Meddler(Runner):
        def run(self, pipeline, run_dir):
            pipeline.train_config.num_steps = 99
            return {"primary": 0.5}

    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    registry = Registry()
    with registry.registering("meddling", "imagine-plugin-meddling"):
        registry.add("runner", "meddler", factory=lambda **_: Meddler())
    pipeline = pipeline_class()()
    pipeline.hardware.type = "meddler"
    pipeline.train_config.num_steps = 5
    run = tmp_path / "run"
    with pytest.raises(PluginError, match=r"num_steps: 5; [+] *num_steps: 99") as caught:
        execute(pipeline, run, LoadedPlugins(manager=manager, registry=registry))
    assert "plugin 'meddling'" in caught.value.where
    assert read_text_file(run / "pipeline.config", pipeline_class()).train_config.num_steps == 5
    assert not (run / "metrics.json").exists()


def test_the_run_folder_holds_the_resolved_pipeline(tiny_run):
    """num_classes (from the label map) and the glyph heights (measured on the training
    pages) are filled before anything is built, and the run folder says so."""
    from imagine_core.api import LabelMap

    pipeline = read_text_file(tiny_run / "pipeline.config", pipeline_class())
    assert pipeline.model.ssd.num_classes == len(LabelMap.read(tiny_run / "label_map.pbtxt"))
    assert 0 < pipeline.ocr.min_glyph_height <= pipeline.ocr.max_glyph_height
