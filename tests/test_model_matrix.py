"""timm-style: every registered meta-architecture x feature extractor x box predictor
that fit together (what `imagine config validate` accepts), and every model option in
conf/, builds on a tiny image, runs a forward pass and takes one training step that
changes its weights."""

from __future__ import annotations

import functools
import io

import numpy as np
import pytest

from imagine_core.config.compose import compose
from imagine_core.config.validate import build_pipeline, misfits
from imagine_core.plugins import get_plugins

pytestmark = pytest.mark.slow

# A combination starts from the model option built around its extractor (its anchors
# fit it), else from the glyph option of its meta-architecture; tiny as test_training
# makes each option.
GLYPH_MODEL = {"ssd": "glyph_retinanet_small", "faster_rcnn": "glyph_faster_rcnn_small"}
PREDICTOR_FIELD = {"ssd": "box_predictor", "faster_rcnn": "second_stage_box_predictor"}


@functools.cache
def _option_of() -> dict[tuple[str, str], str]:
    from test_training import BUILDABLE

    options: dict[tuple[str, str], str] = {}
    for option in [*GLYPH_MODEL.values(), *sorted(BUILDABLE)]:
        pipeline = build_pipeline(compose([f"model={option}"]), get_plugins())[0]
        meta = pipeline.model.WhichOneof("model")
        extractor = getattr(pipeline.model, meta).feature_extractor.type
        options.setdefault((meta, extractor), option)
    return options


def _pipeline(meta: str, extractor: str, predictor: str):
    from test_training import BUILDABLE

    option = _option_of().get((meta, extractor), GLYPH_MODEL[meta])
    overrides = [f"model={option}", *BUILDABLE[option]]
    pipeline = build_pipeline(compose(overrides), get_plugins())[0]
    model = getattr(pipeline.model, meta)
    model.num_classes = 2
    model.feature_extractor.type = extractor
    model.feature_extractor.depth_multiplier = min(model.feature_extractor.depth_multiplier, 0.25)
    slot = getattr(model, PREDICTOR_FIELD[meta])
    slot.Clear()
    getattr(slot, predictor).SetInParent()
    return pipeline


@functools.cache
def _options_own() -> dict[tuple[str, str, str], str]:
    """The (meta-architecture, extractor, predictor) each model option is made of."""
    from test_training import BUILDABLE

    own = {}
    for option in sorted(BUILDABLE):
        pipeline = build_pipeline(compose([f"model={option}"]), get_plugins())[0]
        meta = pipeline.model.WhichOneof("model")
        model = getattr(pipeline.model, meta)
        ((predictor, _),) = getattr(model, PREDICTOR_FIELD[meta]).ListFields()
        own[meta, model.feature_extractor.type, predictor.name] = option
    return own


def _fitting() -> list:
    """Every combination that fits, but those a model option is made of: the option
    itself takes its step below (test_every_model_option_predicts_and_trains_a_step)."""
    plugins = get_plugins()
    registry = plugins.registry
    combinations = []
    for meta in registry.names("meta_architecture"):
        if meta not in GLYPH_MODEL:
            continue
        for extractor in registry.names("feature_extractor"):
            for predictor in registry.names("box_predictor"):
                if (meta, extractor, predictor) in _options_own():
                    continue
                if not list(misfits(_pipeline(meta, extractor, predictor), plugins)):
                    combinations.append(
                        pytest.param(
                            meta, extractor, predictor, id=f"{meta}-{extractor}-{predictor}"
                        )
                    )
    return combinations


def test_the_matrix_covers_every_registered_part():
    """No registered extractor or predictor is left out of the matrix and the options."""
    registry = get_plugins().registry
    combinations = [p.values for p in _fitting()] + list(_options_own())
    assert {c[1] for c in combinations} == set(registry.names("feature_extractor"))
    assert {c[2] for c in combinations} == set(registry.names("box_predictor"))
    assert set(registry.names("meta_architecture")) == set(GLYPH_MODEL)
    assert len(_options_own()) == len(set(_options_own().values()))  # none made alike


def _batch(detector, pipeline, tmp_path):
    """One 64 x 64 page with two glyphs, through the tfrecord input pipeline."""
    import tensorflow as tf
    from PIL import Image, ImageDraw

    from imagine_core.api import Box, Example, LabelMap, make
    from imagine_plugins.tfrecord.records import to_tf_example

    image = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(image).rectangle([8, 8, 24, 30], fill="black")
    ImageDraw.Draw(image).rectangle([36, 20, 52, 44], fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    boxes = [Box(8, 8, 25, 31, "a"), Box(36, 20, 53, 45, "b")]
    page = Example(image=buffer.getvalue(), width=64, height=64, boxes=boxes, filename="p.png")
    label_map = LabelMap.from_names(["a", "b"])
    records = tmp_path / "train.record"
    with tf.io.TFRecordWriter(str(records)) as writer:
        writer.write(to_tf_example(page, label_map))
    label_map.write(tmp_path / "label_map.pbtxt")
    reader = pipeline.train_input_reader
    reader.Clear()
    reader.label_map_path = str(tmp_path / "label_map.pbtxt")
    reader.tf_record_input_reader.input_path.append(str(records))
    pipeline.train_config.batch_size = 1
    del pipeline.train_config.data_augmentation_options[:]
    inputs = make(get_plugins().registry.get("input_pipeline", "tfrecord"))
    data, _ = inputs.dataset(pipeline, training=True, label_fn=getattr(detector, "label_fn", None))
    return next(iter(data))


# Combinations whose parts fit their contracts but not each other, refused when built.
REFUSED = {
    ("ssd", "ssd_mobilenet_v2", "weight_shared_convolutional_box_predictor"): (
        "runs the same head on every level"  # its SSD anchors differ per level
    ),
}


@pytest.mark.parametrize("meta, extractor, predictor", _fitting())
def test_every_fitting_combination_predicts_and_trains_a_step(meta, extractor, predictor, tmp_path):
    from imagine_core.api import ImagineError, build

    pipeline = _pipeline(meta, extractor, predictor)
    if (meta, extractor, predictor) in REFUSED:
        with pytest.raises(ImagineError, match=REFUSED[meta, extractor, predictor]):
            build(pipeline.model, pipeline)
        return
    _predicts_and_trains_a_step(pipeline, tmp_path)


def _model_options() -> list[str]:
    from test_training import BUILDABLE

    return sorted(BUILDABLE)


@pytest.mark.parametrize("option", _model_options())
def test_every_model_option_predicts_and_trains_a_step(option, tmp_path):
    """Each conf/model option exactly as a user names it (its own anchors, head, losses
    and post-processing; tiny as test_training makes it). A whole `imagine run` of the
    glyph options, with evaluation, is in test_training; the TF OD sample configs'
    Faster R-CNN with a keep-aspect resizer in test_tfod_configs."""
    from test_training import BUILDABLE

    pipeline = build_pipeline(compose([f"model={option}", *BUILDABLE[option]]), get_plugins())[0]
    getattr(pipeline.model, pipeline.model.WhichOneof("model")).num_classes = 2
    _predicts_and_trains_a_step(pipeline, tmp_path)


def _predicts_and_trains_a_step(pipeline, tmp_path) -> None:
    """Build the detector, detect on a blank page, take one SGD step on a two-glyph page:
    the loss is finite and positive, and most trainable variables moved."""
    import tensorflow as tf
    import tf_keras

    from imagine_core.api import build
    from imagine_plugins.runners.train import make_train_step

    detector = build(pipeline.model, pipeline)
    found = detector.detect(tf.zeros([1, 64, 64, 3]))
    assert {"detection_boxes", "detection_scores", "detection_classes"} <= set(found)
    batch = _batch(detector, pipeline, tmp_path)
    before = [v.numpy().copy() for v in detector.trainable_variables]
    optimizer = tf_keras.optimizers.SGD(0.01)
    step = tf.Variable(0, dtype=tf.int64)
    total, losses = make_train_step(detector, optimizer, step, pipeline.train_config)(batch)
    assert np.isfinite(float(total)) and float(total) > 0 and losses
    changed = sum(
        not np.array_equal(b, v.numpy())
        for b, v in zip(before, detector.trainable_variables, strict=True)
    )
    assert changed > len(before) / 2  # the step reached most of the model
