"""One bad file never stops a batch, and nothing is dropped unnamed: every case of
``bad_data`` (each a way a user's annotations go wrong) is read under every policy with
no traceback, the bad item named with its reason, every good item kept, the exit code
saying whether something was left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_data import CASES, GOOD, source_of

from imagine_core.api import reader_for
from imagine_core.errors import DataError
from imagine_plugins.datatools.checks import Checker

# case: (usable pages under skip, words naming the problem; None: nothing is wrong)
EXPECTED = {
    "voc_bomb": (GOOD, "too large to read safely"),
    "voc_gt_latin1": (GOOD, "is not UTF-8 text (byte 0xe9"),
    "voc_gt_utf16": (GOOD + 1, None),
    "voc_badname": (GOOD + 1, None),
    "voc_hugelabel": (GOOD, "characters long"),
    "voc_upper": (GOOD + 1, None),
    "voc_subfolder": (GOOD, None),
    "voc_nan": (GOOD, "is not a number"),
    "voc_arabic_digits": (GOOD, "is not a number: '١٢'"),
    "voc_invisible_label": (GOOD, "only invisible characters (U+200B)"),
    "yolo_fullwidth": (GOOD, "not numbers"),
    "coco_string_bbox": (1, "has no bbox of four numbers"),
    "yolo_nan": (GOOD, "not finite numbers"),
    "yolo_inf": (GOOD, "not finite numbers"),
    "yolo_classes_folder": (0, "is a folder, not a regular file"),
    "yolo_bom": (GOOD, None),
    "yolo_empty_class": (GOOD, None),
    "yolo_dup_class": (0, "names 'a' again (line 1 did)"),
    "yolo_hugeclass": (0, "MiB, more than"),
    "yolo_fifo": (GOOD, "named pipe (FIFO)"),
    "yolo_classes_fifo": (0, "named pipe (FIFO)"),
    "yolo_urandom": (GOOD, "character device"),
    "yolo_zero": (GOOD, "character device"),
    "coco_inf": (1, "width is inf, not a positive number"),
    "coco_mixed_ids": (1, "id is not an integer"),
    "coco_longname": (1, "more than a file system allows"),
    "coco_nan": (1, "not a finite number"),
    "coco_dup_ids": (1, "image id 1 is used by 2 images"),
    "coco_unknown_image": (1, "image_id 99 is no image"),
    "coco_empty_cat": (3, "has no name"),  # the images stay; the boxes of no category are named
}
NOTES = {"voc_subfolder": "are not read", "voc_badname": "not UTF-8; written escaped"}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad")
    for name, build in CASES.items():
        build(root / name)
    return {name: source_of(root / name) for name in CASES}


def test_every_case_has_an_expectation():
    assert set(EXPECTED) | {"coco_nested"} == set(CASES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_skip_keeps_every_good_page_and_names_the_bad_one(made, name):
    usable, named = EXPECTED[name]
    result = Checker("skip").run(reader_for(str(made[name])))
    assert len(result.examples) == usable
    problems = [f"{i.where}: {i.what}" for i in result.issues if i.action != "note"]
    if named is None:
        assert not problems
    else:
        assert any(named in p for p in problems), problems
    if name in NOTES:
        assert any(NOTES[name] in i.what for i in result.issues if i.action == "note")
    for example in result.examples:  # what passed is usable as it is
        assert all(b.label.strip() and b.label == b.label.lstrip("\ufeff") for b in example.boxes)


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_and_convert_exit_without_a_traceback(cli, made, tmp_path, name):
    usable, named = EXPECTED.get(name, (0, "nested too deeply"))
    bad = named is not None
    for policy in ("strict", "skip"):
        result = cli("data", "check", str(made[name]), "--on-error", policy)
        assert "Traceback" not in result.err + result.out
        assert result.code == (2 if bad else 0), result.err
    out = tmp_path / "out"
    result = cli(
        "data", "convert", str(made[name]), "--on-error", "skip", "--to", "labelimg", str(out)
    )
    assert "Traceback" not in result.err
    assert result.code == (2 if bad else 0), result.err
    written = list(out.glob("train/*.xml"))
    assert len(written) == usable


def test_nested_json_is_one_message_for_the_file(made):
    with pytest.raises(DataError, match="nested too deeply"):
        Checker("skip").run(reader_for(str(made["coco_nested"])))


def test_convert_refuses_to_write_over_its_source(cli, made, tmp_path):
    source = made["voc_upper"]
    before = {p: p.read_bytes() for p in source.iterdir()}
    result = cli("data", "convert", str(source), "--to", "labelimg", str(source.parent))
    assert result.code == 2 and "holds the source" in result.err and "--overwrite" in result.err
    assert {p: p.read_bytes() for p in source.iterdir()} == before


def test_mutated_sets_never_end_in_a_traceback_a_hang_or_a_silent_drop(tmp_path):
    """A CI-sized run of tests/benchmarks/bench_fuzz.py (which runs 1000 and more)."""
    import random
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
    from bench_fuzz import (
        coco_case,
        page_case,
        run_case,
        run_page,
        tfrecord_case,
        voc_case,
        yolo_case,
    )

    rng = random.Random(1)
    outcomes = []
    makers = (voc_case, yolo_case, coco_case, tfrecord_case)
    for n in range(60):
        source = makers[n % len(makers)](tmp_path / f"m{n}", rng)
        outcomes += [run_case(source, policy, limit=60) for policy in ("strict", "skip")]
    assert {"traceback", "hang", "silent"}.isdisjoint(outcomes)
    assert "ok" in outcomes and "error" in outcomes  # the mutations do break things
    pages = [run_page(page_case(tmp_path / f"page{n}", rng), limit=60) for n in range(40)]
    assert {"traceback", "hang", "silent"}.isdisjoint(pages)
    assert "ok" in pages and "error" in pages


def test_a_corrupt_tfrecord_keeps_the_records_before_it_and_nan_boxes_are_named(
    cli, made, tmp_path
):
    import dataclasses

    import tensorflow as tf

    from imagine_core.api import Box
    from imagine_core.labelmap import LabelMap
    from imagine_plugins.tfrecord.records import to_tf_example

    records = tmp_path / "rec"
    source = str(made["voc_upper"])
    assert cli("data", "convert", source, "--to", "tfrecord", str(records)).code == 0
    (shard,) = records.glob("train.record*")
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) - 40])  # the last record cut short
    result = Checker("skip").run(reader_for(str(shard)))
    assert len(result.examples) == GOOD  # every record but the cut one
    assert any("corrupt TFRecord after record 2" in i.what for i in result.issues)
    with pytest.raises(DataError, match="corrupt TFRecord"):
        Checker("strict").run(reader_for(str(shard)))

    good = Checker("skip").run(reader_for(str(made["voc_nan"]))).examples[0]
    bad = dataclasses.replace(good, boxes=[Box(float("nan"), 1, 5, 5, label="a")])
    nan_file = records / "nan.record"
    with tf.io.TFRecordWriter(str(nan_file)) as writer:
        writer.write(to_tf_example(bad, LabelMap({"a": 1})))
    result = Checker("skip").run(reader_for(str(nan_file)))
    assert not result.examples
    assert any("not a finite number" in i.what for i in result.issues)


def test_convert_refuses_to_replace_what_the_output_folder_holds(cli, made, tmp_path):
    """A label map and train.json of the user's in the output folder were replaced without
    a word; they are named, and replaced only with --overwrite."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "label_map.pbtxt").write_text("mine")
    (out / "train.json").write_text("{}")
    source = str(made["voc_upper"])
    result = cli("data", "convert", source, "--to", "coco", str(out))
    assert result.code == 2 and "label_map.pbtxt, train.json" in result.err
    assert (out / "label_map.pbtxt").read_text() == "mine"
    assert cli("data", "convert", source, "--to", "coco", str(out), "--overwrite").code == 0
    assert (out / "label_map.pbtxt").read_text() != "mine"
