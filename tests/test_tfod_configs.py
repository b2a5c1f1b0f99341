"""The TF Object Detection API's real sample configs parse and validate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import TFOD_CONFIGS

CONFIGS = sorted(TFOD_CONFIGS.glob("*.config"))
# A field of each that no bundled plugin honours yet, so the report must name it.
UNREAD = {
    "faster_rcnn_resnet101_pets": "variance_scaling_initializer",
    "ssd_mobilenet_v2_coco": "batch_norm_trainable",
    "ssd_mobilenet_v1_fpn_shared_box_predictor_640x640_coco14_sync": "sync_replicas",
}


def _point_at_real_files(config: Path, tmp_path: Path) -> Path:
    """Replace PATH_TO_BE_CONFIGURED with a folder holding every file the config names."""
    text = config.read_text()
    for name in set(re.findall(r"PATH_TO_BE_CONFIGURED/([^\"']+)", text)):
        if name.endswith(".ckpt"):
            (tmp_path / f"{name}.index").write_bytes(b"")
        elif "?????" in name:
            (tmp_path / name.replace("?????", "00000")).write_bytes(b"")
        else:
            (tmp_path / name).write_text("item { id: 1 name: 'x' }\n")
    target = tmp_path / config.name
    target.write_text(text.replace("PATH_TO_BE_CONFIGURED", str(tmp_path)))
    return target


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_sample_config_validates_once_its_paths_exist(cli, config, tmp_path):
    result = cli("config", "validate", str(_point_at_real_files(config, tmp_path)))
    assert result.code == 0, result.out + result.err
    assert ": valid" in result.out
    # Fields nothing reads yet are listed by name, never dropped in silence.
    assert "fields the config sets that no loaded plugin reads yet" in result.out
    assert UNREAD[config.stem] in result.out.split("reads yet")[1]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_sample_config_as_shipped_reports_only_missing_paths(cli, config):
    result = cli("config", "validate", str(config))
    assert result.code == 2
    assert "missing paths" in result.out
    assert "PATH_TO_BE_CONFIGURED" in result.out
    assert "errors (" not in result.out


def test_unread_fields_are_named(cli, tmp_path):
    config = TFOD_CONFIGS / "ssd_mobilenet_v1_fpn_shared_box_predictor_640x640_coco14_sync.config"
    result = cli("config", "validate", str(_point_at_real_files(config, tmp_path)))
    for field in (
        "sync_replicas",
        "replicas_to_aggregate",
        "startup_delay_steps",
        "inplace_batchnorm_update",
    ):
        assert field in result.out, field


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_sample_config_round_trips_through_show(cli, config, tmp_path):
    first = cli("config", "show", f"pipeline={config}")
    assert first.code == 0, first.err
    again = tmp_path / "again.config"
    again.write_text(first.out)
    second = cli("config", "show", f"pipeline={again}")
    assert second.out == first.out


def test_pipeline_file_keeps_its_fields_and_takes_overrides(cli):
    config = TFOD_CONFIGS / "faster_rcnn_resnet101_pets.config"
    result = cli(
        "config",
        "show",
        f"pipeline={config}",
        "train_config.batch_size=2",
        "model.faster_rcnn.num_classes=5",
        "lr=0.001",
    )
    assert result.code == 0, result.err
    assert "num_classes: 5" in result.out
    assert "batch_size: 2" in result.out
    assert "initial_learning_rate: 0.001" in result.out
    assert "first_stage_max_proposals: 300" in result.out
    assert "hardware {" in result.out  # sections the file lacks come from the groups


def test_group_named_on_the_command_line_replaces_the_files_section(cli):
    config = TFOD_CONFIGS / "faster_rcnn_resnet101_pets.config"
    result = cli("config", "show", f"pipeline={config}", "model=ssd_mobilenet_v2")
    assert result.code == 0, result.err
    assert "faster_rcnn {" not in result.out and "ssd {" in result.out


# The samples that train, each with the TFRecord paths it names (train, eval), what its
# run must report (a field no plugin reads, or the warning it deserves), and the
# overrides that make it tiny.
SSD_TINY = (
    "model.ssd.image_resizer.fixed_shape_resizer.height=128",
    "model.ssd.image_resizer.fixed_shape_resizer.width=128",
    "model.ssd.feature_extractor.depth_multiplier=0.25",
)
TRAINABLE = {
    "ssd_mobilenet_v1_fpn_shared_box_predictor_640x640_coco14_sync": (
        "mscoco_train.record-00000-of-00100",
        "mscoco_val.record-00000-of-00010",
        "sync_replicas is set but no loaded plugin reads it",
        SSD_TINY,
    ),
    "ssd_mobilenet_v2_coco": (
        "mscoco_train.record",
        "mscoco_val.record",
        "batch_norm_trainable is set but no loaded plugin reads it",
        SSD_TINY,
    ),
    "faster_rcnn_resnet101_pets": (
        "pet_faces_train.record-?????-of-00010",
        "pet_faces_val.record-?????-of-00010",
        "faster_rcnn pads every image to 64x64",
        (
            "model.faster_rcnn.image_resizer.keep_aspect_ratio_resizer.min_dimension=64",
            "model.faster_rcnn.image_resizer.keep_aspect_ratio_resizer.max_dimension=64",
            "model.faster_rcnn.num_classes=200",  # the pets' 37 are fewer than the glyphs
        ),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRAINABLE))
def test_tf_od_sample_config_trains_a_step_on_tiny_demo_data(tmp_path, name):
    """A TF OD API sample config, pointed at tiny TFRecords, trains and evaluates."""
    from conftest import run_imagine

    from imagine_plugins.datatools.convert import convert
    from imagine_plugins.datatools.demo.corpus import write_corpus
    from imagine_plugins.datatools.demo.render import PageStyle

    style = PageStyle(width=256, height=192, min_size=12, max_size=14)
    demo = write_corpus(tmp_path / "demo", style, train=2, eval_=1, seed=0, progress=False)
    records = tmp_path / "records"
    convert(str(demo / "train"), records, "tfrecord", split="val=0.5")
    train, val, reported, tiny = TRAINABLE[name]
    text = (TFOD_CONFIGS / f"{name}.config").read_text()
    text = text.replace(f"PATH_TO_BE_CONFIGURED/{train}", f"{records}/train.record-00000-of-00001")
    text = text.replace(f"PATH_TO_BE_CONFIGURED/{val}", f"{records}/val.record-00000-of-00001")
    text = re.sub(r"PATH_TO_BE_CONFIGURED/\w+_label_map.pbtxt", f"{records}/label_map.pbtxt", text)
    text = text.replace('fine_tune_checkpoint: "PATH_TO_BE_CONFIGURED/model.ckpt"', "")
    pipeline = tmp_path / f"{name}.config"
    pipeline.write_text(text)
    result = run_imagine(
        "run",
        f"pipeline={pipeline}",
        "steps=1",
        "batch_size=2",
        *tiny,
        f"hydra.run.dir={tmp_path / 'run'}",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err[-3000:]
    assert reported in result.err
    assert "mirrored glyph is another character" in result.err  # its random_horizontal_flip
    assert (tmp_path / "run" / "metrics.json").is_file()
