"""hardware=tpu: the TF OD API's TPU rules are explained before any TPU is touched."""

from __future__ import annotations

from conftest import TFOD_CONFIGS


def test_tpu_ready_config_passes(cli):
    config = TFOD_CONFIGS / "ssd_mobilenet_v1_fpn_shared_box_predictor_640x640_coco14_sync.config"
    result = cli("config", "validate", "--skip-paths", f"pipeline={config}", "hardware=tpu")
    assert result.code == 0, result.out
    assert "errors (" not in result.out


def test_config_breaking_the_rules_gets_each_rule_explained(cli):
    config = TFOD_CONFIGS / "ssd_mobilenet_v2_coco.config"
    result = cli(
        "config",
        "validate",
        "--skip-paths",
        f"pipeline={config}",
        "hardware=tpu",
        "train_config.unpad_groundtruth_tensors=true",
        "train_config.batch_size=12",
    )
    assert result.code == 2
    assert "model.ssd.loss.hard_example_miner" in result.out and "focal" in result.out
    assert "use_matmul_gather" in result.out
    assert "unpad_groundtruth_tensors" in result.out
    assert "does not split evenly over 8 TPU cores" in result.out


def test_dynamic_resizer_is_refused_on_tpu(cli):
    config = TFOD_CONFIGS / "faster_rcnn_resnet101_pets.config"
    result = cli("config", "validate", "--skip-paths", f"pipeline={config}", "hardware=tpu")
    assert result.code == 2
    assert "static image shapes" in result.out and "pad_to_max_dimension" in result.out
    assert "model.faster_rcnn.use_static_shapes" in result.out


def test_rules_do_not_apply_off_tpu(cli):
    config = TFOD_CONFIGS / "ssd_mobilenet_v2_coco.config"
    result = cli("config", "validate", "--skip-paths", f"pipeline={config}")
    assert "errors (" not in result.out
