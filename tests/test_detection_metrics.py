"""The TF OD API's detection protocols (PASCAL VOC, weighted VOC, Open Images V2 and
challenge): hand-computed cases, and the TF OD API's own evaluators on the same detections."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest

from imagine_core.api import instantiate
from imagine_core.errors import ConfigError
from imagine_core.plugins import get_plugins

VOC = "pascal_voc_detection_metrics"
WEIGHTED = "weighted_pascal_voc_detection_metrics"
OID = "oid_V2_detection_metrics"
CHALLENGE = "oid_challenge_detection_metrics"
KEYS = {
    VOC: "PascalBoxes_Precision/mAP@0.5IOU",
    WEIGHTED: "WeightedPascalBoxes_Precision/mAP@0.5IOU",
    OID: "OpenImagesV2_Precision/mAP@0.5IOU",
    CHALLENGE: "OpenImagesDetectionChallenge_Precision/mAP@0.5IOU",
}


def evaluator(name, **eval_config):
    from imagine_core.schema import proto_module

    pipeline = proto_module("pipeline").TrainEvalPipelineConfig()
    for key, value in eval_config.items():
        setattr(pipeline.eval_config, key, value)
    return instantiate(get_plugins().registry.get("evaluator", name), None, pipeline)


def score(name, pages, **eval_config):
    metrics = evaluator(name, **eval_config)
    for truth, found in pages:
        metrics.add(truth, found)
    return metrics.result()


def truth(boxes, labels, **flags):
    return {"boxes": boxes, "labels": labels, **flags}


def found(boxes, labels, scores):
    return {"boxes": boxes, "labels": labels, "scores": scores}


# Three glyphs 'a' side by side; a box shifted by 2 px of 10 still has IoU 0.67.
A = [[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]]


def test_voc_ap_is_the_area_under_the_monotone_curve():
    """TP .9, FP .8, TP .7, duplicate .6 on three glyphs: precision 1 to recall 1/3, then
    2/3 to recall 2/3, never reaching the third: AP = 1/3 + 2/9."""
    detections = found(
        [[2, 0, 12, 10], [60, 0, 70, 10], [20, 0, 30, 10], [21, 0, 31, 10]],
        ["a"] * 4,
        [0.9, 0.8, 0.7, 0.6],
    )
    result = score(VOC, [(truth(A, ["a"] * 3), detections)])
    assert result[KEYS[VOC]] == pytest.approx(1 / 3 + 2 / 9)


def test_voc_ignores_difficult_boxes_and_what_matches_them():
    detections = found(A, ["a"] * 3, [0.9, 0.8, 0.7])
    plain = score(VOC, [(truth(A, ["a"] * 3), found(A[:2], ["a"] * 2, [0.9, 0.8]))])
    assert plain[KEYS[VOC]] == pytest.approx(2 / 3)
    hard = truth(A, ["a"] * 3, difficult=[False, False, True])
    assert score(VOC, [(hard, found(A[:2], ["a"] * 2, [0.9, 0.8]))])[KEYS[VOC]] == 1.0
    assert score(VOC, [(hard, detections)])[KEYS[VOC]] == 1.0


def test_weighted_voc_pools_the_classes():
    """'a': one glyph found (AP 1); 'b': three glyphs, one wrong detection above everything
    (AP 0). Mean 0.5; pooled: an FP then a TP of four positives, AP 0.25 x 0.5."""
    page = (
        truth([A[0], *[[0, 20 + 20 * i, 10, 30 + 20 * i] for i in range(3)]], ["a", "b", "b", "b"]),
        found([A[0], [90, 90, 99, 99]], ["a", "b"], [0.9, 0.95]),
    )
    assert score(VOC, [page])[KEYS[VOC]] == pytest.approx(0.5)
    assert score(WEIGHTED, [page])[KEYS[WEIGHTED]] == pytest.approx(0.125)


# A group-of box over a whole word, three detections inside it, and one single glyph.
GROUP_PAGE = truth([[0, 0, 60, 10], [0, 30, 10, 40]], ["a", "a"], group_of=[True, False])
GROUP_FOUND = found(
    [[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10], [0, 30, 10, 40]],
    ["a"] * 4,
    [0.8, 0.7, 0.6, 0.9],
)


def test_open_images_v2_ignores_detections_inside_group_of_boxes():
    assert score(OID, [(GROUP_PAGE, GROUP_FOUND)])[KEYS[OID]] == 1.0
    # VOC reads the group box as one glyph: the three detections inside it are false.
    assert score(VOC, [(GROUP_PAGE, GROUP_FOUND)])[KEYS[VOC]] == pytest.approx(0.5)


def test_challenge_counts_a_found_group_of_box_once():
    assert score(CHALLENGE, [(GROUP_PAGE, GROUP_FOUND)])[KEYS[CHALLENGE]] == 1.0
    missed = found([[0, 30, 10, 40]], ["a"], [0.9])
    assert score(CHALLENGE, [(GROUP_PAGE, missed)])[KEYS[CHALLENGE]] == pytest.approx(0.5)
    assert score(OID, [(GROUP_PAGE, missed)])[KEYS[OID]] == 1.0


def test_challenge_counts_only_verified_or_boxed_classes():
    page = truth([A[0]], ["a"])
    stray = found([A[0], [40, 40, 50, 50], [60, 60, 70, 70]], ["a", "b", "c"], [0.9, 0.8, 0.7])
    verified = {**page, "verified": {"b": False}}
    # 'b' was verified absent: its detection is a false positive of a class with no boxes,
    # which has no AP; 'c' is unverified and ignored. Under V2 both are ignored alike.
    challenge = evaluator(CHALLENGE)
    challenge.add(verified, stray)
    assert set(challenge.classes) == {"a", "b"}
    assert challenge.result()[KEYS[CHALLENGE]] == 1.0
    v2 = evaluator(OID)
    v2.add(verified, stray)
    assert set(v2.classes) == {"a", "b", "c"}


def test_open_images_hierarchy_copies_boxes_to_ancestors(tmp_path):
    hierarchy = tmp_path / "hierarchy.json"
    hierarchy.write_text(
        json.dumps({"LabelName": "glyph", "Subcategory": [{"LabelName": "a"}]}), encoding="utf-8"
    )
    page = (truth([A[0]], ["a"]), found([A[0]], ["a"], [0.9]))
    result = score(
        OID, [page], class_hierarchy_file=str(hierarchy), include_metrics_per_category=True
    )
    prefix = "OpenImagesV2_PerformanceByCategory/AP@0.5IOU/"
    # 'glyph' has the copied box but no detection of its own: AP 0, the mean halves.
    assert result[prefix + "a"] == 1.0
    assert result[prefix + "glyph"] == 0.0
    assert result[KEYS[OID]] == pytest.approx(0.5)
    assert score(OID, [page])[KEYS[OID]] == 1.0


def test_a_broken_hierarchy_file_is_a_config_error(tmp_path):
    bad = tmp_path / "hierarchy.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="class hierarchy") as error:
        evaluator(OID, class_hierarchy_file=str(bad))
    assert "eval_config.class_hierarchy_file" in str(error.value)


def test_per_class_table_lists_the_rarest_class_first():
    from rich.console import Console

    boxes = [[0, 20 * i, 10, 20 * i + 10] for i in range(6)]
    labels = ["e", "e", "e", "q", "x", "x"]
    metrics = evaluator(VOC)
    metrics.add(truth(boxes, labels), found(boxes, labels, [0.9] * 6))
    console = Console(width=100, record=True)
    for table in metrics.tables():
        console.print(table)
    text = console.export_text()
    rows = [line.split("│")[1].strip() for line in text.splitlines() if line.count("│") >= 4]
    assert [r for r in rows if r in "eqx"] == ["q", "x", "e"]
    assert metrics.primary(metrics.result()) == 0.0


# --- the TF OD API's own evaluators, on random pages -------------------------------------


@pytest.fixture(scope="module")
def reference():
    """The TF OD API's object_detection_evaluation (the `object-detection-0-1` package on
    PyPI, a 2019 copy of research/object_detection). Its label_map_util imports protobuf
    code too old for today's runtime and is used only to name categories (in Python 2
    code, so no names are given); numpy 2 dropped the np.float its AP check names."""
    stub = types.ModuleType("object_detection.utils.label_map_util")
    stub.create_category_index = lambda categories: {}
    sys.modules["object_detection.utils.label_map_util"] = stub
    np.float = float
    try:
        from object_detection.core import standard_fields
        from object_detection.utils import object_detection_evaluation as ode

        yield ode, standard_fields
    finally:
        del np.float


def random_pages(seed, classes=4, pages=6):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(pages):
        n = int(rng.integers(3, 12))
        xy = rng.uniform(0, 80, (n, 2))
        size = rng.uniform(6, 20, (n, 2))
        boxes = np.concatenate([xy, xy + size], axis=1)
        labels = rng.integers(0, classes, n)
        # Detections: jittered copies of most glyphs (some relabelled), plus strays.
        keep = rng.random(n) < 0.8
        det = boxes[keep] + rng.normal(0, 2.0, (keep.sum(), 4))
        det_labels = np.where(rng.random(keep.sum()) < 0.85, labels[keep], rng.integers(0, 4))
        strays = int(rng.integers(0, 4))
        sxy = rng.uniform(0, 80, (strays, 2))
        det = np.concatenate([det, np.concatenate([sxy, sxy + 10], axis=1)])
        det_labels = np.concatenate([det_labels, rng.integers(0, classes, strays)])
        out.append(
            {
                "boxes": boxes,
                "labels": labels,
                "difficult": rng.random(n) < 0.15,
                "group_of": rng.random(n) < 0.15,
                "verified": rng.choice(classes, int(rng.integers(0, 3)), replace=False),
                "det_boxes": det,
                "det_labels": det_labels,
                "det_scores": rng.random(len(det)),
            }
        )
    return out


def reference_result(reference, name, pages, classes=4):
    ode, fields = reference
    made = {
        VOC: ode.PascalDetectionEvaluator,
        WEIGHTED: ode.WeightedPascalDetectionEvaluator,
        OID: ode.OpenImagesDetectionEvaluator,
        CHALLENGE: ode.OpenImagesDetectionChallengeEvaluator,
    }[name]
    evaluation = made([{"id": i + 1, "name": str(i)} for i in range(classes)])
    for i, page in enumerate(pages):
        xyxy_to_yxyx = [1, 0, 3, 2]
        evaluation.add_single_ground_truth_image_info(
            i,
            {
                fields.InputDataFields.groundtruth_boxes: page["boxes"][:, xyxy_to_yxyx],
                fields.InputDataFields.groundtruth_classes: page["labels"] + 1,
                fields.InputDataFields.groundtruth_difficult: page["difficult"],
                fields.InputDataFields.groundtruth_group_of: page["group_of"],
                fields.InputDataFields.groundtruth_image_classes: page["verified"] + 1,
            },
        )
        evaluation.add_single_detected_image_info(
            i,
            {
                fields.DetectionResultFields.detection_boxes: page["det_boxes"][:, xyxy_to_yxyx],
                fields.DetectionResultFields.detection_scores: page["det_scores"],
                fields.DetectionResultFields.detection_classes: page["det_labels"] + 1,
            },
        )
    # The figures themselves, past the metric naming (Python 2 code) of evaluate().
    figures = evaluation._evaluation.evaluate()
    per_class = {
        str(i): float(ap) for i, ap in enumerate(figures.average_precisions) if not np.isnan(ap)
    }
    return per_class, float(figures.mean_ap)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", [VOC, WEIGHTED, OID, CHALLENGE])
def test_same_figures_as_the_tf_od_api(reference, name, seed):
    pages = random_pages(seed)
    expected_per_class, expected_mean = reference_result(reference, name, pages)
    ours = evaluator(name, include_metrics_per_category=True)
    for page in pages:
        ours.add(
            {
                "boxes": page["boxes"].tolist(),
                "labels": [str(c) for c in page["labels"]],
                "difficult": page["difficult"].tolist(),
                "group_of": page["group_of"].tolist(),
                "verified": {str(c): True for c in page["verified"]},
            },
            found(
                page["det_boxes"].tolist(),
                [str(c) for c in page["det_labels"]],
                page["det_scores"].tolist(),
            ),
        )
    assert ours.per_class() == pytest.approx(expected_per_class)
    assert ours.result()[KEYS[name]] == pytest.approx(expected_mean)
