"""hardware=tpu: the TF OD API's TPU rules are explained before any TPU is touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TFOD_CONFIGS, group_options, run_imagine

from imagine_core.config.compose import compose
from imagine_core.config.convert import read_text_file
from imagine_core.config.validate import validate
from imagine_core.plugins import get_plugins
from imagine_core.schema import pipeline_class

MODELS = group_options("model")
HARDWARE = group_options("hardware")


def _validate_on_tpu(cli, sample: str, *overrides: str):
    """``imagine config validate`` of a TF OD sample config with hardware=tpu."""
    config = TFOD_CONFIGS / f"{sample}.config"
    return cli(
        "config", "validate", "--skip-paths", f"pipeline={config}", "hardware=tpu", *overrides
    )


def test_tpu_ready_config_passes(cli):
    sample = "ssd_mobilenet_v1_fpn_shared_box_predictor_640x640_coco14_sync"
    result = _validate_on_tpu(cli, sample, "+hardware.jit_compile=true")
    assert result.code == 0, result.out
    assert "errors (" not in result.out
    # The training loop reads both (test_tpu_shaped_models_train_under_xla_on_the_cpu).
    assert "jit_compile" not in result.out and "mixed_precision" not in result.out


def test_config_breaking_the_rules_gets_each_rule_explained(cli):
    result = _validate_on_tpu(
        cli,
        "ssd_mobilenet_v2_coco",
        "train_config.unpad_groundtruth_tensors=true",
        "train_config.batch_size=12",
    )
    assert result.code == 2
    assert "model.ssd.loss.hard_example_miner" in result.out and "focal" in result.out
    assert "use_matmul_gather" in result.out
    assert "unpad_groundtruth_tensors" in result.out
    assert "does not split evenly over 8 TPU cores" in result.out


def test_a_files_faster_rcnn_is_padded_and_its_dynamic_shapes_refused_on_tpu(cli):
    """The file's keep-aspect-ratio resizer is padded (Faster R-CNN needs one size on any
    hardware: the models plugin fits it, and says so); what the file sets against a TPU
    (dynamic shapes) is refused, named."""
    result = _validate_on_tpu(cli, "faster_rcnn_resnet101_pets")
    assert result.code == 2
    pad = "model.faster_rcnn.image_resizer.keep_aspect_ratio_resizer.pad_to_max_dimension"
    assert f"applied {pad}=true (faster_rcnn pads every image to 1024x1024" in result.out
    assert "model.faster_rcnn.use_static_shapes" in result.out


def test_rules_do_not_apply_off_tpu(cli):
    config = TFOD_CONFIGS / "ssd_mobilenet_v2_coco.config"
    result = cli("config", "validate", "--skip-paths", f"pipeline={config}")
    assert result.code == 0 and "errors (" not in result.out


@pytest.mark.parametrize("hardware", HARDWARE)
@pytest.mark.parametrize("model", MODELS)
def test_every_model_fits_every_hardware_without_overrides(model, hardware):
    """The hardware layer makes the model fit (imagine_fit_pipeline): no option of
    conf/model needs an override to pass that hardware's checks."""
    composed = compose([f"model={model}", f"hardware={hardware}"])
    pipeline, report = validate(composed, get_plugins(), check_paths=False)
    assert not report.errors, [f"{p.path}: {p.what}" for p in report.errors]
    if hardware == "tpu" and pipeline.model.WhichOneof("model") == "faster_rcnn":
        assert pipeline.model.faster_rcnn.use_static_shapes
        assert any("use_static_shapes=true" in line for line in report.applied_knobs)


def test_what_the_user_set_is_explained_not_overridden(cli):
    result = cli(
        "config", "validate", "--skip-paths", "model=glyph_faster_rcnn_small", "hardware=tpu",
        "+model.faster_rcnn.use_static_shapes=false",
    )  # fmt: skip
    assert result.code == 2
    assert "model.faster_rcnn.use_static_shapes" in result.out
    errors = result.out.split("errors (")[1].split("fields the config sets")[0]
    assert "use_static_shapes" in errors and "use_matmul_crop_and_resize" not in errors


def test_the_headline_command_fits_then_says_no_tpu_was_found(tmp_path):
    out = tmp_path / "run"
    result = run_imagine(
        "run", "model=faster_rcnn_resnet101", "hardware=tpu", f"hydra.run.dir={out}", cwd=tmp_path
    )
    assert result.code == 2, result.err[-3000:]
    assert "no TPU reachable" in result.err and "Traceback" not in result.err
    assert "applied model.faster_rcnn.use_static_shapes=true (hardware=tpu" in result.err
    written = read_text_file(out / "pipeline.config", pipeline_class())
    assert written.model.faster_rcnn.use_matmul_crop_and_resize
    assert written.train_config.max_number_of_boxes == 500


XLA_TRAIN = """
import json, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from test_training import TINY
from imagine_core.config.compose import compose
from imagine_core.config.convert import to_text
from imagine_core.config.validate import validate
from imagine_core.plugins import get_plugins
from imagine_plugins.runners.train import resolve, train

model, run_dir = sys.argv[1], Path(sys.argv[2])
tiny = [a.replace("model.ssd.", "model.faster_rcnn.") for a in TINY] if "rcnn" in model else TINY
tiny = [a for a in tiny if "rcnn" not in model or "fixed_shape" not in a]
plugins = get_plugins()
overrides = [f"model={{model}}", "hardware=tpu", "+hardware.num_devices=1", "steps=1", *tiny]
pipeline, report = validate(compose(overrides), plugins, check_paths=False)
assert not report.errors, report.errors
# The TPU-shaped pipeline, XLA-compiled on the CPU (the default tf.distribute strategy).
pipeline.hardware.type, pipeline.hardware.jit_compile = "cpu", True
import tensorflow as tf
run_dir.mkdir()
resolve(pipeline)  # as `imagine run` does first: num_classes from the data
(run_dir / "pipeline.config").write_text(to_text(pipeline))
train(pipeline, run_dir, tf.distribute.get_strategy())
print(json.dumps({{"steps": len(list((run_dir / "checkpoints").glob("ckpt-*.index")))}}))
"""


@pytest.mark.parametrize(
    "model", ["glyph_retinanet_small", "ssd_mobilenet_v2", "glyph_faster_rcnn_small"]
)
def test_tpu_shaped_models_train_under_xla_on_the_cpu(model, tmp_path):
    """XLA refuses dynamic shapes on a CPU too: each meta-architecture (RetinaNet, classic
    SSD, Faster R-CNN) trains a step with the hardware=tpu pipeline and jit_compile."""
    code = XLA_TRAIN.format(tests=str(Path(__file__).parent))
    result = run_imagine(model, str(tmp_path / "run"), code=code, cwd=tmp_path)
    assert result.code == 0, result.err[-3000:]
    assert "mixed precision: mixed_bfloat16" in result.err
    assert json.loads(result.out.strip().splitlines()[-1]) == {"steps": 1}  # ckpt-1
    assert "step 1/1" in result.err
