"""Values that cannot work are refused by `config validate` (and before `imagine run`
starts), with the path and a fix — not after minutes of training."""

from __future__ import annotations

import pytest

from imagine_core.config.compose import compose
from imagine_core.config.validate import validate
from imagine_core.errors import ConfigError
from imagine_core.plugins import get_plugins

RESIZER = "model.ssd.image_resizer.fixed_shape_resizer"
NMS = "model.ssd.post_processing.batch_non_max_suppression"
ANCHORS = "model.ssd.anchor_generator.multiscale_anchor_generator"
COSINE = "train_config.optimizer.adam_optimizer.learning_rate.cosine_decay_learning_rate"


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ("ocr.tile_overlap=300", "ocr.tile_overlap"),  # the demo model's tiles are 256 px
        ("ocr.direction=up", "ocr.direction"),
        ("ocr.min_score=1.5", "ocr.min_score"),
        ("ocr.low_confidence=nan", "ocr.low_confidence"),
        (f"{RESIZER}.height=-256", f"{RESIZER}.height"),
        (f"{RESIZER}.width=0", f"{RESIZER}.width"),
        ("train_config.num_steps=0", "train_config.num_steps"),
        ("~model", "model"),  # nothing to train
        # Bounds the schema gives (protos/*.proto field options), NaN in any float:
        ("ocr.tile_size=-5", "ocr.tile_size"),
        ("train_config.batch_size=1000000000", "train_config.batch_size"),
        (f"{RESIZER}.height=100000", f"{RESIZER}.height"),
        (
            "model.ssd.feature_extractor.depth_multiplier=0",
            "model.ssd.feature_extractor.depth_multiplier",
        ),
        (f"{NMS}.iou_threshold=5", f"{NMS}.iou_threshold"),
        (f"{COSINE}.warmup_learning_rate=nan", f"{COSINE}.warmup_learning_rate"),
        (f"{ANCHORS}.min_level=6", f"{ANCHORS}.min_level"),  # was KeyError '5' in training
    ],
)
def test_a_value_that_cannot_work_is_refused_with_its_path(override, path):
    _, report = validate(compose([override]), get_plugins(), check_paths=False)
    assert [p.path for p in report.errors] == [path]


@pytest.mark.parametrize("override", ["lr=nan", "lr=inf", "lr=-0.1", "steps=0", "steps=-3"])
def test_short_keys_refuse_what_cannot_train(override):
    with pytest.raises(ConfigError, match=override.split("=")[0]):
        compose([override])


def test_the_defaults_pass():
    _, report = validate(compose([]), get_plugins(), check_paths=False)
    assert not report.errors


@pytest.mark.parametrize("key", ["steps", "lr", "batch_size"])
def test_a_short_key_pointing_nowhere_is_one_message(cli, key):
    result = cli("config", "validate", f"{key}=${{oops}}")
    assert result.code == 2 and f"cannot resolve {key}" in result.err and "oops" in result.err
