"""`imagine infer` on Ray Data, in worker processes: page images and TFRecords in; the
same glyphs `imagine ocr` reads, written per page or into the TFExamples (the TF OD API's
image/detection/* keys, which `imagine eval --detections` scores); a damaged input named
and the rest written; nothing of the user's written over."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_imagine

from imagine_core.api import LabelMap

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pages(eval_pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four pages (the held-out demo page under four names: enough to share out)."""
    folder = tmp_path_factory.mktemp("pages")
    (page,) = sorted(eval_pages.glob("*.png"))
    for n in range(4):
        shutil.copy(page, folder / f"page{n}.png")
    return folder


@pytest.fixture(scope="module")
def records(eval_pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The held-out demo pages as TFRecords with their ground truth."""
    folder = tmp_path_factory.mktemp("records") / "records"
    result = run_imagine("data", "convert", str(eval_pages), str(folder), "--to", "tfrecord")
    assert result.code == 0, result.err[-3000:]
    return folder


def record_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".record" in p.name)


def infer(*args: str) -> tuple[int, str, str]:
    result = run_imagine("infer", *args)
    return result.code, result.out, result.err


def glyphs_of(json_file: Path) -> list[tuple]:
    page = json.loads(json_file.read_text(encoding="utf-8"))
    return sorted(
        (g["char"], tuple(round(v, 3) for v in g["box"]), round(g["score"], 4))
        for g in _glyphs(page)
    )


def _glyphs(node):
    if isinstance(node, dict):
        if "char" in node and "box" in node:
            yield node
        for value in node.values():
            yield from _glyphs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _glyphs(value)


def test_pages_read_by_two_workers_are_what_imagine_ocr_reads(tiny_run, pages, tmp_path):
    """Shared out and put back in order (one worker, the default, reads in the tests
    below)."""
    ocr = run_imagine(
        "ocr", "--model", str(tiny_run), str(pages), "--out", str(tmp_path / "ocr"),
        "--format", "json",
    )  # fmt: skip
    assert ocr.code == 0, ocr.err[-3000:]
    out = tmp_path / "infer"
    code, stdout, err = infer(
        str(pages), "--model", str(tiny_run), "--out", str(out), "--workers", "2"
    )
    assert code == 0, err[-3000:]
    assert "2 (" in stdout and "pages/s" in stdout
    for n in range(4):
        read, expected = out / f"page{n}.json", tmp_path / "ocr" / f"page{n}.json"
        assert glyphs_of(read) == glyphs_of(expected)
        assert glyphs_of(read), "LOOSE lets every box through: there are glyphs"


def test_tfrecords_get_the_tf_od_detection_keys_beside_their_ground_truth(
    tiny_run, records, eval_pages, tmp_path
):
    import tensorflow as tf

    import imagine

    out = tmp_path / "out"
    code, _, err = infer(str(records), "--model", str(tiny_run), "--out", str(out))
    assert code == 0, err[-3000:]
    inputs = record_files(records)
    assert inputs and record_files(out) == inputs  # no .partial left either
    reader = imagine.load(tiny_run)
    theirs = LabelMap.read(records / "label_map.pbtxt")
    for name in inputs:
        before = [tf.train.Example.FromString(r) for r in tf.data.TFRecordDataset(
            str(records / name)).as_numpy_iterator()]  # fmt: skip
        after = [tf.train.Example.FromString(r) for r in tf.data.TFRecordDataset(
            str(out / name)).as_numpy_iterator()]  # fmt: skip
        assert len(after) == len(before)
        for old, new in zip(before, after, strict=True):
            kept = {k: v for k, v in new.features.feature.items() if "detection" not in k}
            assert kept == dict(old.features.feature)  # the input example, whole
            feature = new.features.feature
            page = reader.read(eval_pages / feature["image/filename"].bytes_list.value[0].decode())
            width = page.page.width
            scores = list(feature["image/detection/score"].float_list.value)
            assert scores == sorted(scores, reverse=True) and len(scores) == len(page.glyphs)
            xmin = feature["image/detection/bbox/xmin"].float_list.value
            assert sorted(round(x * width, 1) for x in xmin) == sorted(
                round(g.box[0], 1) for g in page.glyphs
            )
            # The ids are those of the records' own label map (data convert's), by text:
            # in the model's, `imagine eval --detections` compared unlike ids (4x too low).
            ids = list(feature["image/detection/label"].int64_list.value)
            assert sorted(ids) == sorted(theirs.ids.get(g.char, 0) for g in page.glyphs)
    assert (out / "label_map.pbtxt").read_text() == (records / "label_map.pbtxt").read_text()
    scored = run_imagine("eval", "--detections", str(out))
    assert scored.code == 0, scored.err[-3000:]
    assert "mAP" in scored.out


def test_a_damaged_page_or_record_file_is_named_and_the_rest_written(
    tiny_run, pages, records, tmp_path
):
    folder = tmp_path / "pages"
    shutil.copytree(pages, folder)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not a png")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "page0.json").symlink_to(tmp_path / "outside.json")  # dangling
    code, _, err = infer(str(folder), "--model", str(tiny_run), "--out", str(tmp_path / "a"))
    assert code == 2
    assert "broken.png" in err and "not read" in err
    assert not (tmp_path / "outside.json").exists()  # the link replaced, not written through
    assert not (tmp_path / "a" / "page0.json").is_symlink()
    assert sorted(p.name for p in (tmp_path / "a").glob("*.json")) == [
        f"page{n}.json" for n in range(4)
    ]
    damaged = tmp_path / "damaged"
    shutil.copytree(records, damaged)
    shard = damaged / record_files(damaged)[0]
    shard.write_bytes(shard.read_bytes()[:-7])  # cut inside the last record
    code, _, err = infer(str(damaged), "--model", str(tiny_run), "--out", str(tmp_path / "b"))
    assert code == 2
    assert shard.name in err and "damaged" in err


def test_nothing_is_written_over_inputs_or_earlier_outputs(tiny_run, pages, records, tmp_path):
    run = str(tiny_run)
    code, _, err = infer(str(records), "--model", run, "--out", str(records))
    assert code == 2 and "over an input" in err
    out = tmp_path / "out"
    out.mkdir()
    (out / record_files(records)[0]).write_text("mine")
    code, _, err = infer(str(records), "--model", run, "--out", str(out))
    assert code == 2 and "already exists" in err and "--overwrite" in err
    code, _, err = infer(str(records), str(pages), "--model", run, "--out", str(out))
    assert code == 2 and "together" in err
    code, _, err = infer(str(pages), "--model", run, "--format", "docx", "--out", str(out))
    assert code == 2 and "unknown output format 'docx'" in err
    code, _, err = infer(str(pages), "--model", run, "--out", str(pages))
    assert code == 2 and "holds pages being read" in err
    code, _, err = infer(str(pages), "--model", run, "--workers", "0", "--out", str(out))
    assert code == 2 and "--workers 0" in err
