"""`imagine run` trains end to end: both meta-architectures, mixed precision, resume, NaN
stop, evaluation."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import group_options, run_imagine

pytestmark = pytest.mark.slow

P = "train_input_reader.plugin.params"
TINY = [
    f"{P}.train_pages=2",
    f"{P}.eval_pages=1",
    f"{P}.width=256",
    f"{P}.height=192",
    f"{P}.min_font_size=12",
    f"{P}.max_font_size=14",
    "batch_size=2",
    "model.ssd.image_resizer.fixed_shape_resizer.height=64",
    "model.ssd.image_resizer.fixed_shape_resizer.width=64",
]
KEEP_ASPECT = "model.faster_rcnn.image_resizer.keep_aspect_ratio_resizer"
SSD_64 = [a for a in TINY if a.startswith("model.")]
SLIM = "model.ssd.feature_extractor.depth_multiplier=0.25"
# Every model option (the models plugin's conf/model/) and what makes it tiny.
BUILDABLE = {
    "glyph_retinanet_small": SSD_64,
    "ssd_mobilenet_v1_fpn": [*SSD_64, SLIM],
    "ssd_resnet50_fpn": [*SSD_64, SLIM],
    "ssd_mobilenet_v2": [*SSD_64, SLIM],
    "glyph_faster_rcnn_small": [
        "model.faster_rcnn.image_resizer.fixed_shape_resizer.height=64",
        "model.faster_rcnn.image_resizer.fixed_shape_resizer.width=64",
    ],
    **{
        name: [f"{KEEP_ASPECT}.min_dimension=64", f"{KEEP_ASPECT}.max_dimension=64"]
        for name in ("faster_rcnn_resnet50", "faster_rcnn_resnet101", "faster_rcnn_resnet50_fpn")
    },
}


def _run(tmp_path: Path, *args: str, folder: str = "run"):
    return run_imagine("run", *TINY, f"hydra.run.dir={tmp_path / folder}", *args, cwd=tmp_path)


def _run_model(tmp_path: Path, model: str, *args: str):
    """A tiny run of a model option, with that option's own way of being tiny."""
    data_only = [a for a in TINY if not a.startswith("model.")]
    folder = f"hydra.run.dir={tmp_path / 'run'}"
    return run_imagine(
        "run", *data_only, folder, f"model={model}", *BUILDABLE[model], *args, cwd=tmp_path
    )


def test_every_model_option_in_conf_is_made_tiny_here():
    """BUILDABLE drives test_model_matrix's step of every option: none may be missing."""
    assert set(BUILDABLE) == set(group_options("model"))


@pytest.mark.parametrize(
    "model, policy",
    [("glyph_retinanet_small", "mixed_float16"), ("glyph_faster_rcnn_small", "mixed_bfloat16")],
)
def test_model_trains_two_steps_in_mixed_precision_and_evaluates_in_float32(
    tmp_path, model, policy
):
    """A whole `imagine run` of each meta-architecture's glyph model (the float32 runs of
    the default model are in every other test here; every model option takes a training
    step in test_model_matrix)."""
    result = _run_model(tmp_path, model, "steps=2", f"+hardware.mixed_precision={policy}")
    assert result.code == 0, result.err[-3000:]
    assert f"mixed precision: {policy}" in result.err
    assert "mixed_precision is set but no loaded plugin reads it" not in result.err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert {"mAP", "CER", "primary"} <= set(metrics)
    assert (tmp_path / "run" / "checkpoints" / "checkpoint").is_file()
    assert list((tmp_path / "run" / "train").glob("events.out.tfevents.*"))  # TensorBoard
    assert list((tmp_path / "run" / "eval").glob("events.out.tfevents.*"))  # sample pages
    # The checkpoint holds float32 variables: `imagine eval` rebuilds the float32 model.
    again = run_imagine("eval", str(tmp_path / "run"), cwd=tmp_path)
    assert again.code == 0, again.err[-3000:]


def test_unknown_precision_policy_is_refused(tmp_path):
    result = _run(tmp_path, "steps=1", "+hardware.mixed_precision=float8")
    assert result.code == 2 and "unknown mixed precision policy 'float8'" in result.err
    assert "Traceback" not in result.err


def test_moving_averages_are_what_gets_evaluated_and_kept(tmp_path):
    """The metrics are finite, and `imagine eval` repeats them from the kept weights."""
    adam = "train_config.optimizer"
    result = _run(
        tmp_path,
        "steps=3",
        f"{adam}.use_moving_average=true",
        f"+{adam}.moving_average_decay=0.5",
        "+eval_config.use_moving_averages=true",
        "ocr.min_score=0.0",
    )
    assert result.code == 0, result.err[-3000:]
    assert "evaluating the moving averages of the weights" in result.err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert all(math.isfinite(v) for v in metrics.values())
    assert metrics["CER"] >= 0.0 and 0.0 <= metrics["mAP"] <= 1.0
    # The last checkpoint holds the averaged weights: `imagine eval` measures the same.
    again = run_imagine("eval", str(tmp_path / "run"))
    assert again.code == 0, again.err[-3000:]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text()) == pytest.approx(metrics)


def test_nan_loss_stops_with_the_last_good_checkpoint_named(tmp_path):
    """An infinite loss weight (NaN itself is refused before the run starts)."""
    import re

    result = _run(tmp_path, "steps=3", "model.ssd.loss.classification_weight=inf")
    assert result.code == 2
    assert re.search(r"the loss became (inf|nan) at step 1", result.err), result.err[-2000:]
    assert "Traceback" not in result.err


def test_killed_run_resumes_and_ends_at_num_steps(tmp_path):
    """kill -9 mid-training, rerun the same command: it resumes from the newest checkpoint
    and stops at num_steps (a damaged newest one is passed over: the test below)."""
    args = [*TINY, "steps=40", "train_config.checkpoint_every_n_steps=5"]
    run_dir = f"hydra.run.dir={tmp_path / 'run'}"
    command = [sys.executable, "-m", "imagine_core", "run", *args, run_dir]
    index = tmp_path / "run" / "checkpoints" / "checkpoint"
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 240
    while not index.is_file() and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert index.is_file(), "no checkpoint before the kill"
    newest = int(index.read_text().split('"ckpt-')[1].split('"')[0])
    result = run_imagine("run", *args, run_dir, cwd=tmp_path)
    assert result.code == 0, result.err[-3000:]
    assert "resuming from" in result.err and f"(step {newest})" in result.err  # the newest
    assert 'model_checkpoint_path: "ckpt-40"' in index.read_text()
    assert "step 40/40" in result.err


@pytest.mark.parametrize(("stop", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_saves_the_current_step_and_says_how_to_resume(tmp_path, stop, code):
    args = [*TINY, "steps=400", "train_config.checkpoint_every_n_steps=100000"]
    command = [sys.executable, "-m", "imagine_core", "run", *args, f"hydra.run.dir={tmp_path}"]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # A suite started in the background (`pytest &`) ignores SIGINT, and so would the
        # run it starts: give it Ctrl-C as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen = []
    for line in process.stderr:  # progress lines: every 20 steps when not a terminal
        seen.append(line)
        if line.startswith("step 20/400"):
            assert "min left" in line  # logs say how long the run has to go
            break
    process.send_signal(stop)
    err = "".join(seen) + process.communicate(timeout=120)[1]
    assert process.returncode == code, err[-3000:]
    assert "interrupted at step" in err and "run the same command again to resume" in err
    assert "Traceback" not in err
    index = (tmp_path / "checkpoints" / "checkpoint").read_text()
    step = int(index.split('"ckpt-')[1].split('"')[0])
    assert 20 <= step < 400  # saved on the way out, not at a checkpoint step


def test_a_damaged_newest_checkpoint_is_passed_over(tmp_path):
    first = _run(tmp_path, "steps=2", "train_config.checkpoint_every_n_steps=1")
    assert first.code == 0, first.err[-3000:]
    checkpoints = tmp_path / "run" / "checkpoints"
    (data,) = checkpoints.glob("ckpt-2.data-*")
    data.write_bytes(data.read_bytes()[:100])  # a crash or a full disk mid-write
    second = _run(tmp_path, "steps=3")
    assert second.code == 0, second.err[-3000:]
    assert "ckpt-2 is damaged" in second.err and "(step 1)" in second.err
    assert 'model_checkpoint_path: "ckpt-3"' in (checkpoints / "checkpoint").read_text()


def test_unfinished_saves_of_a_killed_run_are_swept_and_named(tmp_path, capsys):
    """A run killed while saving left empty ckpt-N_temp folders for ever."""
    from imagine_plugins.runners.train import sweep_unfinished_saves

    folder = tmp_path / "checkpoints"
    (folder / "ckpt-3_temp").mkdir(parents=True)
    (folder / "ckpt-4_temp_0a1b").mkdir()
    (folder / "ckpt-2.index").write_text("kept")
    (folder / "notes_temp").mkdir()  # not a save of ours: kept
    assert sweep_unfinished_saves(folder) == ["ckpt-3_temp", "ckpt-4_temp_0a1b"]
    assert sorted(p.name for p in folder.iterdir()) == ["ckpt-2.index", "notes_temp"]
    assert "removed 2 unfinished checkpoint folder(s)" in capsys.readouterr().err
    assert sweep_unfinished_saves(tmp_path / "none") == []


def test_a_full_disk_is_one_message_that_names_the_intact_checkpoint(tmp_path):
    """A full disk ended in TensorFlow's ResourceExhaustedError traceback (exit 1)."""
    import errno

    import tensorflow as tf

    from imagine_core.api import ImagineError
    from imagine_plugins.runners.train import save

    class FullDisk:
        directory = str(tmp_path)
        latest_checkpoint = str(tmp_path / "ckpt-5")

        def __init__(self, error):
            self.error = error

        def save(self, checkpoint_number):
            (tmp_path / f"ckpt-{checkpoint_number}_temp").mkdir()
            raise self.error

    for error in (tf.errors.ResourceExhaustedError(None, None, "No space left on device"),
                  OSError(errno.ENOSPC, "No space left on device")):  # fmt: skip
        with pytest.raises(ImagineError, match="the disk is full: checkpoint 6") as info:
            save(FullDisk(error), 6)
        assert "ckpt-5" in str(info.value) and "run the same command again" in info.value.fix
        assert not (tmp_path / "ckpt-6_temp").exists()
    with pytest.raises(OSError):  # anything else is not dressed up as a full disk
        save(FullDisk(OSError(errno.EACCES, "Permission denied")), 7)
