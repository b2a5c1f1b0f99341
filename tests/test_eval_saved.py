"""``imagine eval --detections``: detections saved earlier (TF OD API records, or the JSON
of ``imagine ocr``) scored by any protocol, without a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from data_helpers import LABELS, page

from imagine_core.labelmap import LabelMap, normalise
from imagine_core.plugins import get_plugins
from imagine_plugins.labelimg.voc import parse_voc

VOC_KEY = "PascalBoxes_Precision/mAP@0.5IOU"


@pytest.fixture
def annotated(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    page(folder, "p0")
    return folder


def detections_of(example, missing: str) -> list[tuple]:
    """Every glyph found at score 0.9 but one class; one stray box of another class."""
    found = [((b.xmin, b.ymin, b.xmax, b.ymax), b.label, 0.9) for b in example.boxes]
    found = [d for d in found if d[1] != missing]
    return [*found, ((0.0, 40.0, 10.0, 58.0), "A", 0.95)]


def test_records_with_detection_keys_are_scored(cli, annotated, tmp_path):
    example = parse_voc(annotated / "p0.xml")
    example.detections = detections_of(example, missing="ß")
    label_map = LabelMap.from_names(LABELS)
    writer = get_plugins().registry.get("dataset_writer", "tfrecord").factory()
    (record,) = writer.write([example], tmp_path / "rec", label_map, split="eval")
    label_map.write(tmp_path / "rec" / "label_map.pbtxt")

    result = cli(
        "eval", "--detections", str(record), "--per-class",
        "--metrics", "pascal_voc_detection_metrics", "weighted_pascal_voc_detection_metrics",
    )  # fmt: skip
    assert result.code == 0, result.err
    metrics = json.loads((tmp_path / "rec" / "eval.json").read_text(encoding="utf-8"))
    per_class = {k.rsplit("/", 1)[1]: v for k, v in metrics.items() if "ByCategory" in k}
    # 'A': a stray above the true 'A' (AP 1/2); 'ß' never found (AP 0); the rest AP 1.
    assert per_class == pytest.approx({normalise(c): 1.0 for c in LABELS} | {"A": 0.5, "ß": 0.0})
    assert metrics[VOC_KEY] == pytest.approx((len(LABELS) - 1.5) / len(LABELS))
    assert metrics["primary"] == pytest.approx(1 - metrics[VOC_KEY])
    assert "rarest first" in result.out


def test_imagine_ocr_json_is_scored_against_the_pages(cli, annotated, tmp_path):
    example = parse_voc(annotated / "p0.xml")
    glyphs = [{"char": c, "box": list(b), "score": s} for b, c, s in detections_of(example, "ß")]
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "p0.json").write_text(json.dumps({"glyphs": glyphs}), encoding="utf-8")
    result = cli("eval", "--detections", str(folder), "--gt", str(annotated))
    assert result.code == 0, result.err
    metrics = json.loads((folder / "eval.json").read_text(encoding="utf-8"))
    assert metrics[VOC_KEY] == pytest.approx((len(LABELS) - 1.5) / len(LABELS))
    assert 0 < metrics["mAP"] < 1  # COCO's, by default beside VOC's


def test_saved_detections_that_cannot_be_scored_are_named(cli, annotated, tmp_path):
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "p0.json").write_text("{}", encoding="utf-8")
    no_gt = cli("eval", "--detections", str(folder))
    assert no_gt.code == 2 and "--gt" in no_gt.err
    broken = cli("eval", "--detections", str(folder), "--gt", str(annotated))
    assert broken.code == 2 and "p0.json" in broken.err
    (folder / "p0.json").unlink()
    (folder / "other.json").write_text("{}", encoding="utf-8")
    missing = cli("eval", "--detections", str(folder), "--gt", str(annotated))
    assert missing.code == 2 and "p0.json" in missing.err and "imagine ocr" in missing.err

    example = parse_voc(annotated / "p0.xml")
    writer = get_plugins().registry.get("dataset_writer", "tfrecord").factory()
    (record,) = writer.write([example], tmp_path / "rec", LabelMap.from_names(LABELS))
    plain = cli("eval", "--detections", str(record))
    assert plain.code == 2 and "image/detection" in plain.err


def test_one_page_without_detections_leaves_the_others_scored(cli, annotated, tmp_path):
    page(annotated, "p1")
    example = parse_voc(annotated / "p0.xml")
    glyphs = [{"char": c, "box": list(b), "score": s} for b, c, s in detections_of(example, "")]
    folder = tmp_path / "json"
    folder.mkdir()
    (folder / "p0.json").write_text(json.dumps({"glyphs": glyphs}), encoding="utf-8")
    (folder / "p1.json").write_text("{not json", encoding="utf-8")
    result = cli("eval", "--detections", str(folder), "--gt", str(annotated))
    assert result.code == 2 and "1 of 2 pages not evaluated" in result.err
    assert "p1.json" in result.err
    metrics = json.loads((folder / "eval.json").read_text(encoding="utf-8"))
    assert metrics[VOC_KEY] == pytest.approx((len(LABELS) - 0.5) / len(LABELS))  # p0 alone


def test_records_without_ground_truth_are_refused_with_a_reason(cli, annotated, tmp_path):
    example = parse_voc(annotated / "p0.xml")
    example.detections = detections_of(example, missing="ß")
    example.boxes = []  # what `imagine infer` writes for plain page images
    label_map = LabelMap.from_names(LABELS)
    writer = get_plugins().registry.get("dataset_writer", "tfrecord").factory()
    (record,) = writer.write([example], tmp_path / "rec", label_map, split="eval")
    label_map.write(tmp_path / "rec" / "label_map.pbtxt")
    result = cli("eval", "--detections", str(record))
    assert result.code == 2
    assert "no ground truth" in result.err and "--gt" in result.err
