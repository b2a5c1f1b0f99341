"""Each model part honours its config: change a field, and what it builds changes."""

from __future__ import annotations

import re

import pytest

tf = pytest.importorskip("tensorflow")

from imagine_core.schema import proto_module  # noqa: E402
from imagine_plugins.models import losses, matchers, parts  # noqa: E402
from imagine_plugins.runners import optim  # noqa: E402


def _message(module, name, **fields):
    message = getattr(proto_module(module), name)()
    for key, value in fields.items():
        if isinstance(value, list):
            getattr(message, key).extend(value)
        else:
            setattr(message, key, value)
    return message


def test_depth_multiplier_changes_the_feature_extractor():
    def size(multiplier):
        slot = _message(
            "ssd", "SsdFeatureExtractor", type="ssd_mobilenet_v2_fpn", depth_multiplier=multiplier
        )
        backbone, _ = parts.FpnFeatureExtractor(slot).build(3, 5)
        return backbone.count_params()

    assert size(0.35) < size(0.5)


def test_anchor_scale_and_ratios_change_the_anchors():
    small = parts.MultiscaleAnchors(
        _message(
            "anchor_generator",
            "MultiscaleAnchorGenerator",
            min_level=3,
            max_level=3,
            anchor_scale=2.0,
            aspect_ratios=[1.0],
            scales_per_octave=1,
        )
    )((64, 64))
    large = parts.MultiscaleAnchors(
        _message(
            "anchor_generator",
            "MultiscaleAnchorGenerator",
            min_level=3,
            max_level=3,
            anchor_scale=4.0,
            aspect_ratios=[1.0],
            scales_per_octave=1,
        )
    )((64, 64))
    height = lambda boxes: float(boxes["3"][0, 0, 2] - boxes["3"][0, 0, 0])  # noqa: E731
    assert height(small) == pytest.approx(16.0) and height(large) == pytest.approx(32.0)


def test_matcher_thresholds_decide_what_matches():
    similarity = tf.constant([[0.45], [0.7], [0.2]])

    def indicators(matched, unmatched):
        message = _message(
            "matcher", "ArgMaxMatcher", matched_threshold=matched, unmatched_threshold=unmatched
        )
        return parts.ArgMaxMatcher(message)(similarity)[1].numpy().tolist()

    assert indicators(0.5, 0.4) == [-2, 1, -1]  # ignored, matched, negative
    assert indicators(0.4, 0.3) == [1, 1, -1]


def test_bipartite_matcher_gives_each_box_one_anchor_greedily():
    # 4 anchors x 2 boxes: anchor 1 is the best for both; box 0 wins it (0.9), box 1 takes
    # its next best (anchor 2); anchors 0 and 3 stay negatives.
    similarity = tf.constant([[0.1, 0.0], [0.9, 0.8], [0.2, 0.7], [0.0, 0.1]])
    columns, indicators = matchers.GreedyBipartiteMatcher()(similarity)
    assert indicators.numpy().tolist() == [-1, 1, 1, -1]
    assert columns.numpy()[[1, 2]].tolist() == [0, 1]
    empty = matchers.GreedyBipartiteMatcher()(tf.zeros([3, 0]))
    assert empty[1].numpy().tolist() == [-1, -1, -1]


def test_focal_gamma_changes_the_loss():
    predictions = tf.constant([[2.0, -1.0]])
    targets = tf.constant([[1.0, 0.0]])

    def loss(gamma):
        message = _message("losses", "SigmoidFocalClassificationLoss", gamma=gamma, alpha=0.25)
        return float(losses.SigmoidFocalLoss(message)(predictions, targets, tf.ones([1])))

    assert loss(0.0) > loss(2.0) > 0


LOGITS = tf.constant([[[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]]])  # 1 image, 2 anchors, 3 classes
ONE_HOT = tf.constant([[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])


def test_weighted_sigmoid_is_the_sum_of_per_class_cross_entropies():
    loss = losses.WeightedSigmoidLoss(_message("losses", "WeightedSigmoidClassificationLoss"))
    p = tf.sigmoid(LOGITS)
    expected = -tf.reduce_sum(ONE_HOT * tf.math.log(p) + (1 - ONE_HOT) * tf.math.log(1 - p))
    assert float(loss(LOGITS, ONE_HOT, tf.ones([1, 2]))) == pytest.approx(float(expected), 1e-5)
    # An anchor weighted 0 contributes nothing.
    first = float(tf.reduce_sum(loss.per_anchor(LOGITS, ONE_HOT)[0, 0]))
    assert float(loss(LOGITS, ONE_HOT, tf.constant([[1.0, 0.0]]))) == pytest.approx(first)


def test_softmax_logit_scale_changes_the_loss():
    def loss(scale):
        message = _message("losses", "WeightedSoftmaxClassificationLoss", logit_scale=scale)
        return float(losses.WeightedSoftmaxLoss(message)(LOGITS, ONE_HOT, tf.ones([1, 2])))

    expected = -tf.reduce_sum(ONE_HOT * tf.nn.log_softmax(LOGITS))
    assert loss(1.0) == pytest.approx(float(expected), 1e-5)
    assert loss(4.0) != pytest.approx(loss(1.0))


def test_l2_and_iou_localization_losses():
    boxes = tf.constant([[[0.0, 0.0, 1.0, 1.0]]])
    shifted = tf.constant([[[0.0, 0.5, 1.0, 1.5]]])  # half overlaps: IoU 1/3
    l2 = losses.WeightedL2Loss(_message("losses", "WeightedL2LocalizationLoss"))
    assert float(l2(boxes, shifted, tf.ones([1, 1]))) == pytest.approx(0.5 * 2 * 0.25)
    iou = losses.WeightedIouLoss(_message("losses", "WeightedIOULocalizationLoss"))
    assert iou.needs_boxes
    assert float(iou(boxes, shifted, tf.ones([1, 1]))) == pytest.approx(2 / 3)
    assert float(iou(boxes, boxes, tf.ones([1, 1]))) == pytest.approx(0.0)


def _miner(**fields):
    return losses.HardExampleMiner(_message("losses", "HardExampleMiner", **fields))


def test_hard_example_miner_keeps_positives_and_the_hardest_negatives():
    # Six anchors in a row, apart from one another; anchor 0 is the glyph.
    boxes = tf.constant([[[0.0, i * 0.2, 0.1, i * 0.2 + 0.1] for i in range(6)]])
    cls = tf.constant([[0.5, 0.1, 0.9, 0.3, 0.8, 0.2]])
    positives = tf.constant([[True, False, False, False, False, False]])
    mined = _miner(num_hard_examples=10, iou_threshold=0.7, max_negatives_per_positive=2)
    weights = mined(cls, tf.zeros_like(cls), boxes, positives).numpy()[0].tolist()
    assert weights == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]  # the glyph, and the two worst misses
    looser = _miner(num_hard_examples=10, iou_threshold=0.7, max_negatives_per_positive=3)
    assert looser(cls, tf.zeros_like(cls), boxes, positives).numpy().sum() == 4


def test_hard_example_miner_suppresses_overlapping_negatives():
    boxes = tf.constant([[[0.0, 0.0, 0.1, 0.1], [0.0, 0.0, 0.1, 0.11], [0.5, 0.5, 0.6, 0.6]]])
    cls = tf.constant([[0.9, 0.8, 0.1]])
    positives = tf.constant([[False, False, False]])
    mined = _miner(num_hard_examples=3, iou_threshold=0.5, min_negatives_per_image=3)
    assert mined(cls, tf.zeros_like(cls), boxes, positives).numpy().tolist() == [[1.0, 0.0, 1.0]]


def test_box_coder_scales_change_the_codes():
    boxes, anchors = tf.constant([[0.0, 0.0, 10.0, 12.0]]), tf.constant([[1.0, 1.0, 9.0, 11.0]])
    plain = parts.FasterRcnnCoder(
        _message(
            "box_coder",
            "FasterRcnnBoxCoder",
            y_scale=1.0,
            x_scale=1.0,
            height_scale=1.0,
            width_scale=1.0,
        )
    )
    scaled = parts.FasterRcnnCoder(_message("box_coder", "FasterRcnnBoxCoder"))
    assert not tf.reduce_all(plain.encode(boxes, anchors) == scaled.encode(boxes, anchors))
    assert scaled.decode(scaled.encode(boxes, anchors), anchors).numpy() == pytest.approx(
        boxes.numpy()
    )


def test_cosine_schedule_warms_up_holds_and_decays():
    schedule = optim.CosineDecay(
        _message(
            "optimizer",
            "CosineDecayLearningRate",
            learning_rate_base=0.1,
            total_steps=100,
            warmup_learning_rate=0.01,
            warmup_steps=10,
        )
    )
    assert float(schedule(0)) == pytest.approx(0.01)
    assert float(schedule(10)) == pytest.approx(0.1)
    assert float(schedule(55)) == pytest.approx(0.05, abs=1e-3)
    assert float(schedule(100)) == 0.0


def test_manual_step_schedule_with_warmup():
    message = _message(
        "optimizer", "ManualStepLearningRate", initial_learning_rate=0.01, warmup=True
    )
    message.schedule.add(step=10, learning_rate=0.1)
    message.schedule.add(step=20, learning_rate=0.001)
    schedule = optim.ManualStep(message)
    assert [round(float(schedule(s)), 4) for s in (0, 5, 10, 25)] == [0.01, 0.055, 0.1, 0.001]


def test_exponential_decay_is_stepped_when_staircase():
    schedule = optim.ExponentialDecay(
        _message(
            "optimizer",
            "ExponentialDecayLearningRate",
            initial_learning_rate=1.0,
            decay_steps=10,
            decay_factor=0.5,
        )
    )
    assert [float(schedule(s)) for s in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]


@pytest.mark.parametrize("name", optim.OPTIMIZERS)
def test_optimizers_take_their_settings(name):
    slot = proto_module("optimizer").Optimizer(use_moving_average=True, moving_average_decay=0.99)
    config = getattr(slot, name)
    config.SetInParent()
    optimizer = optim.KerasOptimizer(config, slot)(0.01)
    assert optimizer.use_ema and optimizer.ema_momentum == pytest.approx(0.99)


def _o_and_e_on_one_spot(agnostic: bool) -> dict:
    """The postprocessed detections of an 'o' and an 'e' on the same spot and a glyph
    elsewhere (only postprocess is exercised)."""
    from imagine_plugins.models.retinanet import RetinaNetDetector

    detector = RetinaNetDetector.__new__(RetinaNetDetector)
    detector.ssd = _message("ssd", "Ssd")
    nms = detector.ssd.post_processing.batch_non_max_suppression
    nms.iou_threshold, nms.use_class_agnostic_nms = 0.5, agnostic
    predictions = {
        "detection_boxes": tf.constant(
            [[[0, 0, 10, 8], [0, 0, 10, 8.5], [0, 20, 10, 28], [0, 0, 0, 0]]], tf.float32
        ),
        "detection_scores": tf.constant([[0.9, 0.6, 0.8, 0.0]]),
        "detection_classes": tf.constant([[1, 2, 3, 0]]),
        "num_detections": tf.constant([3]),
    }
    return detector.postprocess(predictions, tf.constant([[10, 30]]))


@pytest.mark.parametrize("agnostic, kept", [(True, 2), (False, 3)])
def test_class_agnostic_nms_keeps_one_character_per_place(agnostic, kept):
    found = _o_and_e_on_one_spot(agnostic)
    assert int(found["num_detections"][0]) == kept
    assert found["detection_classes"][0][0].numpy() == 0  # the best-scoring class survives


def test_what_class_agnostic_nms_sets_aside_is_kept_as_the_glyphs_alternatives():
    """The 'o' kept at a place carries the 'e' found there as its next choice; the glyph
    alone at its place has itself only; page_detections names them by character."""
    from imagine_core.api import page_detections

    (page,) = page_detections(_o_and_e_on_one_spot(True), ["?", "o", "e", "x"])
    assert page["labels"] == ["o", "x"]
    assert [[c for c, _ in alts] for alts in page["alternatives"]] == [["o", "e"], ["x"]]
    assert page["alternatives"][0][1][1] == pytest.approx(0.6)


def test_grid_anchors_place_every_scale_and_ratio_at_each_cell():
    config = _message(
        "anchor_generator",
        "GridAnchorGenerator",
        height=32,
        width=32,
        height_stride=16,
        width_stride=16,
        height_offset=8,
        width_offset=8,
        scales=[0.5, 1.0],
        aspect_ratios=[1.0, 4.0],
    )
    anchors = parts.GridAnchors(config)
    boxes = anchors((64, 32))["4"].numpy().reshape(4, 2, anchors.per_location, 4)
    assert anchors.per_location == 4 and anchors.min_level == anchors.max_level == 4
    centres = (boxes[..., :2] + boxes[..., 2:]) / 2
    assert centres[1, 1, 0].tolist() == [24.0, 24.0]  # offset + 1 * stride
    heights, widths = (
        (boxes[0, 0, :, 2] - boxes[0, 0, :, 0]),
        (boxes[0, 0, :, 3] - boxes[0, 0, :, 1]),
    )
    # 0.5 x 32 square, then 4:1 (width:height): 16 / 2 high, 16 * 2 wide; then scale 1.0.
    assert heights.tolist() == pytest.approx([16, 8, 32, 16])
    assert widths.tolist() == pytest.approx([16, 32, 32, 64])


def test_grid_anchors_need_one_power_of_two_stride():
    from imagine_core.errors import ImagineError

    config = _message("anchor_generator", "GridAnchorGenerator", height_stride=16, width_stride=8)
    with pytest.raises(ImagineError, match="equal power-of-two strides"):
        parts.GridAnchors(config)


@pytest.mark.parametrize("shape", [(5, 4), (5,), (0, 4)])
def test_matmul_gather_gives_what_the_gather_gives(shape):
    labels = tf.random.uniform(shape, 0, 50, dtype=tf.int32)
    indices = tf.constant([0, 3, 1, 1, 4, 2]) % max(shape[0], 1)
    mask = tf.constant([False, True, False, False, True, False])
    if len(shape) > 1:
        mask = tf.tile(mask[:, None], [1, shape[1]])
    plain, matmul = matchers.target_gather(False), matchers.target_gather(True)
    assert matmul(labels, indices, mask, -1).numpy().tolist() == (
        plain(labels, indices, mask, -1).numpy().tolist()
    )


@pytest.fixture(scope="module")
def rcnn_pipeline():
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import build_pipeline
    from imagine_core.plugins import get_plugins

    pipeline = build_pipeline(compose(["model=glyph_faster_rcnn_small"]), get_plugins())[0]
    pipeline.model.faster_rcnn.num_classes = 3
    return pipeline


def _rcnn(pipeline, **fields):
    from imagine_core.api import build

    copy = pipeline.__class__()
    copy.CopyFrom(pipeline)
    for key, value in fields.items():
        setattr(copy.model.faster_rcnn, key, value)
    return build(copy.model, copy)


def _groundtruth(boxes, classes, size=64):
    pad = 4 - len(boxes)
    return {
        "groundtruth_boxes": tf.constant([[*boxes, *[[0.0] * 4] * pad]], tf.float32),
        "groundtruth_classes": tf.constant([[*classes, *[-1] * pad]], tf.int32),
        "true_image_shape": tf.constant([[size, size, 3]]),
    }


def test_faster_rcnn_proposal_and_sample_counts_follow_the_config(rcnn_pipeline):
    images = tf.random.uniform([1, 64, 64, 3], 0, 255)
    for proposals, sampled in ((20, 8), (40, 16)):
        detector = _rcnn(
            rcnn_pipeline, first_stage_max_proposals=proposals, second_stage_batch_size=sampled
        )
        prepared, shapes = detector.preprocess(images)
        seen = detector.predict(prepared, shapes, training=False)
        assert seen["cls_outputs"].shape[1] == proposals  # regions the second stage scored
        detector.provide_groundtruth(_groundtruth([[0.1, 0.1, 0.4, 0.3]], [2]))
        trained = detector.predict(prepared, shapes, training=True)
        assert trained["class_targets"].shape[1] == sampled  # regions sampled for the loss
        # The ground-truth box is mixed into the samples: its class (2, +1 for background).
        assert 3 in trained["class_targets"].numpy()


def test_faster_rcnn_crop_size_and_loss_weights_are_honoured(rcnn_pipeline):
    small, large = _rcnn(rcnn_pipeline, initial_crop_size=4), _rcnn(rcnn_pipeline)
    assert small.model.count_params() < large.model.count_params()  # the FC sees 4x4 crops
    detector = _rcnn(rcnn_pipeline, first_stage_objectness_loss_weight=0.0)
    images = tf.random.uniform([1, 64, 64, 3], 0, 255)
    example = {
        "image": images[0],
        "num_groundtruth_boxes": tf.constant(1),
        **{k: v[0] for k, v in _groundtruth([[0.1, 0.1, 0.4, 0.3]], [0]).items()},
    }
    targets = detector.label_fn(example)
    batch = {k: tf.expand_dims(v, 0) if not isinstance(v, dict) else v for k, v in targets.items()}
    batch["rpn_score_targets"] = {k: v[None] for k, v in targets["rpn_score_targets"].items()}
    batch["rpn_box_targets"] = {k: v[None] for k, v in targets["rpn_box_targets"].items()}
    detector.provide_groundtruth(batch)
    prepared, shapes = detector.preprocess(images)
    losses = detector.loss(detector.predict(prepared, shapes, training=True), batch)
    assert set(losses) == {"rpn_objectness", "rpn_localization", "classification", "localization"}
    assert float(losses["rpn_objectness"]) == 0.0 and float(losses["classification"]) > 0.0


class _Maps:
    """A feature extractor plugin's mistakes: maps under int keys, a level missing, a
    level at the wrong stride."""

    size_multiple = None

    def __init__(self, mistake: str):
        self.mistake = mistake

    def build(self, min_level, max_level):
        import tf_keras

        images = tf_keras.Input([None, None, 3])
        maps = {}
        for level in range(min_level, max_level + 1):
            stride = 2 ** (level - 1) if self.mistake == "stride" and level == 4 else 2**level
            maps[str(level)] = tf_keras.layers.Conv2D(8, 1, strides=stride)(images)
        if self.mistake == "int keys":
            maps = {int(key): value for key, value in maps.items()}
        if self.mistake == "missing":
            del maps[str(max_level)]
        return tf_keras.Model(images, maps), None


@pytest.mark.parametrize(
    ("mistake", "said"),
    [("int keys", "keyed by 3 (int)"), ("missing", "no level 5"), ("stride", "level-4 map")],
)
def test_a_feature_extractor_giving_the_wrong_maps_is_named_when_the_model_builds(mistake, said):
    import imagine
    from imagine_core.api import FeatureExtractor, ImagineError, LabelMap, build, get_plugins

    registry = get_plugins().registry
    name = f"maps_probe_{mistake.replace(' ', '_')}"

    class Probe(_Maps, FeatureExtractor):
        pass

    with registry.registering("probe", "probe-dist"):
        registry.add("feature_extractor", name, factory=lambda **_: Probe(mistake))
    pipeline = imagine.pipeline([f"model.ssd.feature_extractor.type={name}"])
    pipeline.model.ssd.num_classes = 2
    with pytest.raises(ImagineError, match=re.escape(said)) as raised:
        build(pipeline.model, pipeline, label_map=LabelMap.from_names(["a", "b"]))
    assert name in raised.value.where
