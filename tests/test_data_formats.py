"""Round trips between LabelImg, YOLO, COCO and TFRecord keep every box and every label."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from data_helpers import LABELS, boxes_of, page

from imagine_core.api import format_of, reader_for
from imagine_core.labelmap import LabelMap
from imagine_plugins.datatools.convert import convert, split_examples


@pytest.fixture
def labelimg(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for i in range(4):
        page(folder, f"p{i}", LABELS[i:] + LABELS[:i])
    return folder


def _read(source: str, fmt: str | None = None) -> dict[str, list[tuple]]:
    return {Path(e.name).stem: boxes_of(e) for e in reader_for(source, fmt).read()}


@pytest.mark.parametrize("via", ["tfrecord", "coco", "yolo", "labelimg"])
def test_round_trip_through_each_format_keeps_every_box(labelimg, tmp_path, via):
    original = _read(str(labelimg))
    convert(str(labelimg), tmp_path / via, via)
    middle = {
        "tfrecord": str(tmp_path / via / "train.record-?????-of-00001"),
        "coco": str(tmp_path / via / "train.json"),
        "yolo": str(tmp_path / via / "train"),
        "labelimg": str(tmp_path / via / "train"),
    }[via]
    assert _read(middle) == original
    convert(middle, tmp_path / "back", "labelimg")
    assert _read(str(tmp_path / "back" / "train")) == original


def test_labels_stay_exact_unicode(labelimg, tmp_path):
    convert(str(labelimg), tmp_path / "rec", "tfrecord")
    labels = {
        b[0] for boxes in _read(str(tmp_path / "rec" / "train.record-*")).values() for b in boxes
    }
    assert labels == {unicodedata.normalize("NFC", label) for label in LABELS}
    assert "st" in labels and "ſ" in labels and "\u00e9" in labels  # one class, NFC


def test_label_map_ids_from_one_in_code_point_order(labelimg, tmp_path):
    done = convert(str(labelimg), tmp_path / "out", "coco")
    text = (tmp_path / "out" / "label_map.pbtxt").read_text(encoding="utf-8")
    assert "ſ" in text  # written as UTF-8, not escaped
    again = LabelMap.read(tmp_path / "out" / "label_map.pbtxt")
    assert again.ids == done.label_map.ids
    assert list(again.ids.values()) == list(range(1, len(again) + 1))
    assert again.names == sorted(again.names)


def test_split_is_deterministic_and_shards_are_named(labelimg, tmp_path):
    first = convert(str(labelimg), tmp_path / "a", "tfrecord", shards=2, split="val=0.25", seed=7)
    second = convert(str(labelimg), tmp_path / "b", "tfrecord", shards=2, split="val=0.25", seed=7)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == [
        "label_map.pbtxt",
        "train.record-00000-of-00002",
        "train.record-00001-of-00002",
        "val.record-00000-of-00002",
        "val.record-00001-of-00002",
    ]
    val_a = _read(str(tmp_path / "a" / "val.record-*"))
    assert val_a == _read(str(tmp_path / "b" / "val.record-*"))
    assert len(val_a) == 1 and len(_read(str(tmp_path / "a" / "train.record@2"))) == 3
    assert first.label_map.ids == second.label_map.ids


def test_different_seeds_split_differently(labelimg):
    examples = list(reader_for(str(labelimg)).read()) * 5
    splits = {
        tuple(e.name for e in split_examples(examples, ("val", 0.3), seed)["val"])
        for seed in range(6)
    }
    assert len(splits) > 1


def test_format_is_detected(labelimg, tmp_path):
    assert format_of(str(labelimg)) == "labelimg"
    convert(str(labelimg), tmp_path / "y", "yolo")
    assert format_of(str(tmp_path / "y" / "train")) == "yolo"
    assert format_of(str(tmp_path / "x.json")) == "coco"
    assert format_of(str(tmp_path / "train.record-?????-of-00010")) == "tfrecord"


def test_convert_cli(cli, labelimg, tmp_path):
    result = cli(
        "data",
        "convert",
        str(labelimg),
        "--to",
        "tfrecord",
        str(tmp_path / "out"),
        "--shards",
        "2",
        "--split",
        "val=0.25",
    )
    assert result.code == 0, result.err
    assert "label map: 7 classes" in result.out
    assert (tmp_path / "out" / "val.record-00001-of-00002").is_file()


def test_bad_split_is_refused(cli, labelimg, tmp_path):
    result = cli(
        "data", "convert", str(labelimg), "--to", "coco", str(tmp_path), "--split", "val=2"
    )
    assert result.code == 2 and "NAME=FRACTION" in result.err
