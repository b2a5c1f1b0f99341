"""Training on partly marked pages (ignore regions) and from an earlier model with other
characters (fine-tuning with a rebuilt class head)."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from imagine_core.api import (  # noqa: E402
    IGNORE,
    Box,
    Example,
    build,
)
from imagine_core.config.compose import compose  # noqa: E402
from imagine_core.config.validate import build_pipeline  # noqa: E402
from imagine_core.labelmap import LabelMap  # noqa: E402
from imagine_core.plugins import get_plugins  # noqa: E402
from imagine_plugins.runners.train import _fine_tune  # noqa: E402
from imagine_plugins.tfrecord.pipeline import build_input  # noqa: E402
from imagine_plugins.tfrecord.records import from_tf_example, to_tf_example  # noqa: E402


def _pipeline(*extra: str, classes: int = 3):
    overrides = [
        "model.ssd.image_resizer.fixed_shape_resizer.height=64",
        "model.ssd.image_resizer.fixed_shape_resizer.width=64",
        *extra,
    ]
    pipeline = build_pipeline(compose(overrides), get_plugins())[0]
    pipeline.model.ssd.num_classes = classes
    return pipeline


def _page(boxes: list[Box]) -> Example:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, format="PNG")
    return Example(image=buffer.getvalue(), width=64, height=64, boxes=boxes, filename="p.png")


def _one_page(tmp_path, boxes: list[Box], *extra: str):
    """A pipeline training on one 64 x 64 page of label 'a' written as a TFRecord."""
    label_map = LabelMap.from_names(["a"])
    records = tmp_path / "train.record"
    with tf.io.TFRecordWriter(str(records)) as writer:
        writer.write(to_tf_example(_page(boxes), label_map))
    label_map.write(tmp_path / "label_map.pbtxt")
    return _pipeline(
        "dataset=tfrecord",
        f"data_dir={tmp_path}",
        f"train_input_reader.tf_record_input_reader.input_path=[{records}]",
        "train_config.data_augmentation_options=[]",
        "batch_size=1",
        *extra,
        classes=1,
    )


def test_ignore_regions_travel_through_records_as_weight_zero():
    label_map = LabelMap.from_names(["a"])
    boxes = [Box(4, 4, 20, 20, "a"), Box(30, 30, 60, 60, IGNORE)]
    raw = to_tf_example(_page(boxes), label_map)
    features = tf.train.Example.FromString(raw).features.feature
    assert list(features["image/object/weight"].float_list.value) == [1.0, 0.0]
    assert list(features["image/object/class/label"].int64_list.value) == [1, 0]
    back = from_tf_example(raw, "r")
    assert [b.ignore for b in back.boxes] == [False, True]


def test_ignored_anchors_are_neither_glyph_nor_background(tmp_path):
    pipeline = _one_page(tmp_path, [Box(2, 2, 14, 14, "a"), Box(32, 0, 64, 64, IGNORE)])
    detector = build(pipeline.model, pipeline)
    data, _ = build_input(pipeline, training=True, label_fn=detector.label_fn)
    batch = next(iter(data))
    assert int(batch["num_groundtruth_boxes"][0]) == 1  # the glyph, not the region
    assert int(batch["num_groundtruth_ignore_boxes"][0]) == 1
    anchors = detector._anchors(64, 64).numpy()
    weights = batch["cls_weights"][0].numpy()
    centre_x = (anchors[:, 1] + anchors[:, 3]) / 2
    positives = batch["box_weights"][0].numpy() > 0
    in_region = centre_x >= 32
    assert (weights[in_region & ~positives] == 0).all()  # ignored
    assert (weights[~in_region & ~positives & (centre_x < 28)] > 0).mean() > 0.9  # background


def test_glyphs_beyond_the_padding_are_ignored_and_counted(tmp_path, capsys):
    """A tile with more glyphs than max_number_of_boxes: the extra ones become ignore
    regions (not background), and the training loop says how many there were."""
    from imagine_plugins.runners.train import ClippedBoxes

    glyphs = [Box(2 + 8 * i, 2, 8 + 8 * i, 12, "a") for i in range(7)]
    pipeline = _one_page(tmp_path, glyphs, "train_config.max_number_of_boxes=4")
    batch = next(iter(build_input(pipeline, training=True)[0]))
    assert int(batch["num_groundtruth_boxes"][0]) == 4
    assert int(batch["num_groundtruth_ignore_boxes"][0]) == 3
    assert int(batch["num_clipped_boxes"][0]) == 3
    counter = ClippedBoxes(4)
    counter.add(batch, step=1)
    counter.add(batch, step=2)
    counter.summary()
    said = capsys.readouterr().err
    assert "step 1: a tile holds 3 more glyphs" in said and "max_number_of_boxes (4)" in said
    assert "6 glyphs on 2 tiles did not fit" in said


def _earlier_run(tmp_path, names: str):
    """A saved model of ``names`` (one class each) in a run folder: (model, folder)."""
    earlier = _pipeline(classes=len(names))
    old = build(earlier.model, earlier)
    run = tmp_path / "earlier"
    (run / "checkpoints").mkdir(parents=True)
    LabelMap.from_names(names).write(run / "label_map.pbtxt")
    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(**old.checkpoint_items()), str(run / "checkpoints"), 1
    )
    manager.save(checkpoint_number=7)
    return old, run


def test_a_run_with_other_characters_starts_from_an_earlier_model(tmp_path):
    old, run = _earlier_run(tmp_path, "abcde")
    now = _pipeline(classes=3)
    now.train_config.fine_tune_checkpoint = str(run)  # a run folder: its newest checkpoint
    now.train_config.fine_tune_checkpoint_type = "detection"
    new = build(now.model, now)
    _fine_tune(new, now.train_config, LabelMap.from_names("xyz"))

    def weights(detector, part):
        return [v.numpy() for v in getattr(detector.model, part).trainable_variables]

    for part in ("backbone", "decoder"):
        for a, b in zip(weights(old, part), weights(new, part), strict=True):
            np.testing.assert_array_equal(a, b)
    old_head, new_head = old.model.head, new.model.head
    np.testing.assert_array_equal(
        old_head._box_regressor.kernel.numpy(), new_head._box_regressor.kernel.numpy()
    )
    # The class predictor is this run's own: three characters, not five.
    assert new_head._classifier.kernel.shape[-1] != old_head._classifier.kernel.shape[-1]


def test_fine_tuning_from_a_missing_run_says_so(tmp_path):
    from imagine_core.errors import ImagineError

    now = _pipeline()
    now.train_config.fine_tune_checkpoint = str(tmp_path)
    with pytest.raises(ImagineError, match="no checkpoint in this run folder"):
        _fine_tune(build(now.model, now), now.train_config, LabelMap.from_names("xyz"))


def test_characters_the_earlier_model_knew_keep_their_class_outputs(tmp_path, capsys):
    """Fine-tuned from a run over a-e, a run over a, b, x scores a, b (and background)
    as the earlier model did; only x starts afresh, and the run says how many carried."""
    old, run = _earlier_run(tmp_path, "abcde")
    now = _pipeline(classes=3)
    now.train_config.fine_tune_checkpoint = str(run)
    now.train_config.fine_tune_checkpoint_type = "detection"
    new = build(now.model, now)
    _fine_tune(new, now.train_config, LabelMap.from_names("bxa"))  # a=1, b=2, x=3

    def per_class(detector, classes):
        head = detector.model.head._classifier
        kernel, bias = head.kernel.numpy(), head.bias.numpy()
        return kernel.reshape(*kernel.shape[:-1], -1, classes), bias.reshape(-1, classes)

    (old_kernel, old_bias), (new_kernel, new_bias) = per_class(old, 6), per_class(new, 4)
    for here, there in ((0, 0), (1, 1), (2, 2)):  # background, a, b
        np.testing.assert_array_equal(new_kernel[..., here], old_kernel[..., there])
        np.testing.assert_array_equal(new_bias[:, here], old_bias[:, there])
    assert not np.array_equal(new_kernel[..., 3], old_kernel[..., 3])  # x is not c
    assert "2 of this run's 3 carried over by character" in capsys.readouterr().err
