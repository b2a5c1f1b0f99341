"""Hydra composition: groups, short sweep keys, YAML output."""

from __future__ import annotations

import pytest
import yaml
from conftest import group_options

MODELS = group_options("model")
HARDWARE = group_options("hardware")


def test_required_groups_and_options_exist():
    for group in ("model", "hardware", "dataset", "train", "eval", "export"):
        assert group_options(group), group
    assert {
        "faster_rcnn_resnet50",
        "faster_rcnn_resnet101",
        "ssd_mobilenet_v2",
        "ssd_mobilenet_v1_fpn",
        "ssd_resnet50_fpn",
        "glyph_retinanet_small",
    } <= set(MODELS)
    assert set(HARDWARE) == {"cpu", "gpu", "multi_gpu", "multi_worker", "tpu"}


def test_default_pipeline_is_the_small_glyph_model_on_cpu(cli):
    result = cli("config", "show")
    assert result.code == 0, result.err
    assert 'type: "ssd_mobilenet_v2_fpn"' in result.out
    assert "depth_multiplier: 0.35" in result.out
    assert 'hardware {\n  type: "cpu"' in result.out


@pytest.mark.parametrize("model", MODELS)
def test_every_model_option_composes(cli, model):
    result = cli("config", "show", f"model={model}")
    assert result.code == 0, result.err
    assert "model {" in result.out


@pytest.mark.parametrize("hardware", HARDWARE)
def test_every_hardware_option_composes(cli, hardware):
    result = cli("config", "show", f"hardware={hardware}")
    assert result.code == 0, result.err
    assert f'type: "{hardware}"' in result.out


def test_short_keys_set_learning_rate_steps_and_batch(cli):
    result = cli("config", "show", "lr=0.003", "steps=120", "batch_size=4")
    assert result.code == 0, result.err
    assert "learning_rate_base: 0.003" in result.out
    assert "num_steps: 120" in result.out
    assert "total_steps: 120" in result.out  # the cosine schedule follows steps
    assert "batch_size: 4" in result.out


@pytest.mark.parametrize("train", ["momentum_manual_step", "rms_prop_exponential"])
def test_lr_finds_the_rate_of_every_schedule(cli, train):
    result = cli("config", "show", f"train={train}", "lr=0.5")
    assert result.code == 0, result.err
    assert "initial_learning_rate: 0.5" in result.out


def test_yaml_output_is_the_composed_yaml(cli):
    result = cli("config", "show", "--yaml", "model=ssd_mobilenet_v2")
    assert result.code == 0
    data = yaml.safe_load(result.out)
    assert data["model"]["ssd"]["feature_extractor"]["type"] == "ssd_mobilenet_v2"
    assert "train_config" in data and "lr" in data


def test_validate_accepts_overrides(cli, labelimg_data):
    result = cli("config", "validate", "dataset=labelimg", f"data_dir={labelimg_data}")
    assert result.code == 0, result.out + result.err
    assert "labelimg_input_reader" not in result.out.split("reads yet")[0]  # it is provided


def test_strict_validation_fails_on_what_nothing_provides(cli, labelimg_data):
    args = ("dataset=labelimg", f"data_dir={labelimg_data}", "export.type=onnx")
    assert cli("config", "validate", *args).code == 0  # `imagine run` needs no exporter
    result = cli("config", "validate", "--strict", *args)
    assert result.code == 2
    assert "exporter 'onnx'" in result.out


def test_tpu_overlay_pads_boxes(cli):
    result = cli("config", "show", "hardware=tpu")
    assert "unpad_groundtruth_tensors: false" in result.out
    assert 'mixed_precision: "mixed_bfloat16"' in result.out
