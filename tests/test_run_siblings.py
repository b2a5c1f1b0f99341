"""'Same command, more steps': a new run beside one of the same settings says where that
one is and how to continue it, instead of starting over in silence."""

from __future__ import annotations

import shutil

from imagine_core.api import read_pipeline
from imagine_plugins.runners.siblings import same_run_elsewhere, say_if_same_run_elsewhere


def _beside(tiny_run, tmp_path):
    old = tmp_path / "outputs" / "steps=2"
    shutil.copytree(tiny_run, old)
    pipeline = read_pipeline(tiny_run / "pipeline.config")
    return old, pipeline, tmp_path / "outputs" / "steps=20"


def test_a_run_of_the_same_settings_but_its_steps_is_found_with_its_step(tiny_run, tmp_path):
    old, pipeline, new = _beside(tiny_run, tmp_path)
    pipeline.train_config.num_steps = 20
    assert same_run_elsewhere(pipeline, new) == (old, 2)


def test_a_run_of_other_settings_is_not_taken_for_it(tiny_run, tmp_path):
    _, pipeline, new = _beside(tiny_run, tmp_path)
    pipeline.train_config.num_steps = 20
    pipeline.train_config.batch_size += 1
    assert same_run_elsewhere(pipeline, new) is None
    (tmp_path / "outputs" / "not-a-run").mkdir()  # folders of other kinds are passed over
    (tmp_path / "outputs" / "broken" / "checkpoints").mkdir(parents=True)
    (tmp_path / "outputs" / "broken" / "checkpoints" / "ckpt-5.index").write_bytes(b"")
    (tmp_path / "outputs" / "broken" / "checkpoints" / "checkpoint").write_text(
        'model_checkpoint_path: "ckpt-5"\n'
    )
    (tmp_path / "outputs" / "broken" / "pipeline.config").write_text("nonsense {")
    assert same_run_elsewhere(pipeline, new) is None


def test_the_user_is_told_how_to_continue_it(tiny_run, tmp_path, capsys):
    old, pipeline, new = _beside(tiny_run, tmp_path)
    pipeline.train_config.num_steps = 20
    say_if_same_run_elsewhere(pipeline, new)
    said = " ".join(capsys.readouterr().err.split())
    assert f"hydra.run.dir={old}" in said and "at step 2" in said and "to 20 steps" in said
