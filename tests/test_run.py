"""`imagine run` goes through Hydra's main: it composes, validates, writes the resolved
pipeline.config into the run folder, and stops clearly when a component is missing."""

from __future__ import annotations

from conftest import run_imagine

from imagine_core.config.convert import read_text_file
from imagine_core.schema import pipeline_class


def test_run_writes_pipeline_config_then_names_the_missing_components(labelimg_data, tmp_path):
    out = tmp_path / "run"
    result = run_imagine(
        "run",
        "dataset=labelimg",
        f"data_dir={labelimg_data}",
        "lr=0.002",
        f"hydra.run.dir={out}",
        cwd=tmp_path,
    )
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert "meta_architecture 'ssd'" in result.err
    assert "feature_extractor 'ssd_mobilenet_v2_fpn'" in result.err
    assert (
        "loaded plugins: coco (imagine-ocr" in result.err and "labelimg (imagine-ocr" in result.err
    )
    pipeline = read_text_file(out / "pipeline.config", pipeline_class())
    schedule = pipeline.train_config.optimizer.adam_optimizer.learning_rate
    assert abs(schedule.cosine_decay_learning_rate.learning_rate_base - 0.002) < 1e-9
    assert (out / ".hydra" / "overrides.yaml").is_file()  # Hydra's own record of the run


def test_run_stops_before_hydra_on_a_config_error(tmp_path):
    result = run_imagine("run", "model=ssd_mobilenet_v3", cwd=tmp_path)
    assert result.code == 2
    assert "did you mean 'ssd_mobilenet_v2'" in result.err
    assert not (tmp_path / "outputs").exists()


def test_run_reports_missing_data_paths(tmp_path):
    result = run_imagine("run", "dataset=labelimg", f"data_dir={tmp_path / 'none'}", cwd=tmp_path)
    assert result.code == 2
    assert "folder not found" in result.err and "none/train" in result.err


def test_multirun_sweeps_the_learning_rate(labelimg_data, tmp_path):
    sweep = tmp_path / "sweep"
    result = run_imagine(
        "run",
        "-m",
        "lr=0.01,0.001",
        "dataset=labelimg",
        f"data_dir={labelimg_data}",
        f"hydra.sweep.dir={sweep}",
        cwd=tmp_path,
    )
    assert result.code == 2  # no model plugin yet: the first job stops with the clear error
    assert "meta_architecture 'ssd'" in result.err
    first = read_text_file(sweep / "0" / "pipeline.config", pipeline_class())
    rate = first.train_config.optimizer.adam_optimizer.learning_rate.cosine_decay_learning_rate
    assert abs(rate.learning_rate_base - 0.01) < 1e-9


def test_run_help_is_hydras(tmp_path):
    result = run_imagine("run", "--help", cwd=tmp_path)
    assert result.code == 0
    assert "== Configuration groups ==" in result.out
    assert "model: " in result.out and "glyph_retinanet_small" in result.out
