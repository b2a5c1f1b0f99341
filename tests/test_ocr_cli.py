"""`imagine ocr` end to end on a tiny trained run: every output per page, the same glyphs
from the exported SavedModel, LabelImg XML for the annotation loop, and the run's CER
reproduced by `imagine ocr` + `imagine eval --ocr`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_imagine

from imagine_plugins.labelimg.voc import parse_voc

pytestmark = pytest.mark.slow

SUFFIXES = [".txt", ".json", ".hocr", ".alto.xml", ".page.xml", ".overlay.png"]


def test_every_format_is_written_for_every_page(tiny_run, eval_pages, tmp_path):
    result = run_imagine("ocr", "--model", str(tiny_run), str(eval_pages), "--out", str(tmp_path))
    assert result.code == 0, result.err[-3000:]
    pages = sorted(p.stem for p in eval_pages.glob("*.png"))
    for stem in pages:
        for suffix in SUFFIXES:
            assert (tmp_path / f"{stem}{suffix}").is_file(), f"{stem}{suffix}"
        data = json.loads((tmp_path / f"{stem}.json").read_text(encoding="utf-8"))
        assert data["glyphs"] and data["width"] == 256
    assert "pages" in result.out and "mean confidence" in result.out


def test_one_bad_page_never_stops_the_batch_and_no_outputs_collide(tiny_run, eval_pages, tmp_path):
    import shutil

    pages = tmp_path / "pages"
    first = sorted(eval_pages.glob("*.png"))[0]
    for volume in ("vol1", "vol2"):
        (pages / volume).mkdir(parents=True)
        shutil.copy(first, pages / volume / "page.png")
    (pages / "vol1" / "broken.png").write_bytes(b"not an image")
    out = tmp_path / "out"
    result = run_imagine(
        "ocr", "--model", str(tiny_run), str(pages), "--out", str(out), "--format", "txt"
    )
    assert result.code == 2, result.err[-3000:]
    assert "1 of 3 files not read" in result.err and "broken.png" in result.err
    assert "Traceback" not in result.err
    read = sorted(p.name for p in out.glob("*.txt"))
    assert read == ["vol1_page.txt", "vol2_page.txt"]  # both read, after the bad one


def export(run: Path, out: Path, *args: str) -> Path:
    exported = run_imagine("export", str(run), "--out", str(out), *args)
    assert exported.code == 0, exported.err[-3000:]
    assert (out / "saved_model.pb").is_file()
    return out


@pytest.fixture(scope="module")
def saved_model(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(tiny_run, tmp_path_factory.mktemp("export") / "model")


def test_the_exported_savedmodel_reads_the_same_glyphs(tiny_run, saved_model, eval_pages, tmp_path):
    page = sorted(eval_pages.glob("*.png"))[0]
    outputs = {}
    for name, model in (("run", tiny_run), ("saved", saved_model)):
        result = run_imagine(
            "ocr",
            "--model",
            str(model),
            str(page),
            "--out",
            str(tmp_path / name),
            "--format",
            "json",
        )
        assert result.code == 0, result.err[-3000:]
        outputs[name] = json.loads((tmp_path / name / f"{page.stem}.json").read_text())
    run, saved = outputs["run"]["glyphs"], outputs["saved"]["glyphs"]
    assert [g["char"] for g in run] == [g["char"] for g in saved]
    for a, b in zip(run, saved, strict=True):
        assert a["box"] == pytest.approx(b["box"], abs=0.2)
        assert a["score"] == pytest.approx(b["score"], abs=1e-3)


def test_labelimg_xml_beside_each_page_reads_back(tiny_run, eval_pages, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    for png in sorted(eval_pages.glob("*.png")):
        shutil.copy(png, pages / png.name)
    args = ["ocr", "--model", str(tiny_run), str(pages), "--out", str(tmp_path / "out")]
    result = run_imagine(*args, "--labelimg", "--format", "txt")
    assert result.code == 0, result.err[-3000:]
    for png in pages.glob("*.png"):
        example = parse_voc(png.with_suffix(".xml"))
        read = (tmp_path / "out" / f"{png.stem}.txt").read_text(encoding="utf-8")
        assert len(example.boxes) == len("".join(read.split()))
    again = run_imagine(*args, "--labelimg", "--format", "txt")
    assert again.code == 0 and "kept" in again.err  # corrections are never overwritten


def test_ocr_then_eval_reproduces_the_runs_cer(tiny_run, eval_pages, tmp_path):
    result = run_imagine("ocr", "--model", str(tiny_run), str(eval_pages), "--out", str(tmp_path))
    assert result.code == 0, result.err[-3000:]
    scored = run_imagine("eval", "--ocr", "--gt", str(eval_pages), str(tmp_path))
    assert scored.code == 0, scored.err[-3000:]
    ours = json.loads((tmp_path / "eval.json").read_text())["CER"]
    runs = json.loads((tiny_run / "metrics.json").read_text())["CER"]
    assert ours == pytest.approx(runs)
    assert "most frequent errors" in scored.out


def test_a_missing_model_is_a_clear_error(tmp_path):
    page = tmp_path / "p.png"
    page.write_bytes(b"")
    result = run_imagine("ocr", "--model", str(tmp_path / "nope"), str(page))
    assert result.code == 2
    assert "no such model" in result.err and "Traceback" not in result.err


def test_the_run_shows_sample_pages_and_metrics_in_tensorboard(tiny_run):
    import tensorflow as tf

    tags = {
        value.tag
        for events in (tiny_run / "eval").glob("events.out.tfevents.*")
        for event in tf.compat.v1.train.summary_iterator(str(events))
        for value in event.summary.value
    }
    assert "pages/eval_0000" in tags
    assert {"metrics/CER", "metrics/mAP"} <= tags


@pytest.fixture(scope="module")
def lite(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lite") / "lite"
    exported = run_imagine("export", str(tiny_run), "--type", "tflite", "--out", str(folder))
    assert exported.code == 0, exported.err[-3000:]
    assert (folder / "model.tflite").is_file()
    assert (folder / "assets" / "label_map.pbtxt").is_file()
    return folder


def test_the_tflite_export_reads_pages(lite, eval_pages, tmp_path):
    page = sorted(eval_pages.glob("*.png"))[0]
    args = ["ocr", "--model", str(lite), str(page), "--out", str(tmp_path / "out")]
    result = run_imagine(*args, "--format", "json")
    assert result.code == 0, result.err[-3000:]
    glyphs = json.loads((tmp_path / "out" / f"{page.stem}.json").read_text())["glyphs"]
    assert glyphs and all(0.0 <= g["score"] <= 1.0 for g in glyphs)


def test_the_tflite_model_gives_what_its_graph_gives(tiny_run, lite, eval_pages):
    """The converted flatbuffer computes what the TensorFlow graph it came from does: every
    box it keeps is one the graph decodes, with the graph's score, and together they are a
    non-maximum suppression of the graph's boxes. An untrained model scores many boxes
    alike, so *which* of two near-equal overlapping boxes NMS keeps differs between the two
    (and one different choice suppresses others in a cascade: CI saw 98 kept against 101,
    and 100 against 106): the test checks what holds whatever the tie-breaking."""
    import numpy as np
    import tensorflow as tf
    from PIL import Image

    from imagine_core.api import restore
    from imagine_plugins.export.loaders import TfliteDetector

    detector = TfliteDetector(lite)
    pipeline, model, _ = restore(tiny_run)
    size = detector.input_size
    nms = pipeline.model.ssd.post_processing.batch_non_max_suppression
    page = Image.open(sorted(eval_pages.glob("*.png"))[0]).convert("RGB")
    tile = np.asarray(page)[None, :size, :size]
    found = detector._run(images=tile)
    kept = int(found["num_detections"][0])
    cap = found["detection_scores"].shape[1]
    chosen = found["detection_boxes"][0, :kept] * size
    chosen_scores = found["detection_scores"][0, :kept]
    boxes, scores = (t[0].numpy() for t in model.dense_detections(tf.constant(tile, tf.float32)))
    boxes, best = np.clip(boxes, 0.0, size), scores.max(-1)
    assert kept > 0
    for box, score in zip(chosen, chosen_scores, strict=True):
        # Neighbouring anchors of an untrained model may decode to boxes closer than the
        # tolerance: one of the boxes at that place has the flatbuffer's score.
        near = np.abs(boxes - box).max(-1) < 0.05
        assert near.any(), box
        assert np.abs(best[near] - score).min() < 1e-3, (box, score)
    assert np.all(np.diff(chosen_scores) <= 1e-6)  # best first
    assert abs(chosen_scores[0] - best.max()) < 1e-3
    # No two kept boxes overlap more than NMS allows ...
    overlap = _iou(chosen, chosen) - np.eye(kept)
    assert overlap.max() <= nms.iou_threshold + 0.01
    # ... and every box the graph scores above the last one kept (above the threshold when
    # the cap was not reached) is kept or suppressed by a kept box scored at least as high.
    floor = chosen_scores[-1] + 1e-3 if kept == cap else max(nms.score_threshold, 1e-8)
    # (A box of no area overlaps nothing, itself included: NMS keeps it.)
    same = np.abs(boxes[:, None] - chosen[None]).max(-1) < 0.05
    suppressing = (_iou(boxes, chosen) >= nms.iou_threshold - 0.01) | same
    covered = suppressing & (chosen_scores[None] >= best[:, None] - 1e-3)
    left = (best > floor) & ~covered.any(-1)
    assert not left.any(), (boxes[left][:3], best[left][:3])


def _iou(a, b):
    """Intersection over union of every box in ``a`` with every box in ``b`` (corners)."""
    import numpy as np

    low = np.maximum(a[:, None, :2], b[None, :, :2])
    high = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(high - low, 0.0, None), -1)
    area_a, area_b = (np.prod(np.clip(x[:, 2:] - x[:, :2], 0.0, None), -1) for x in (a, b))
    union = area_a[:, None] + area_b[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def test_tflite_outputs_come_in_the_tf_od_postprocess_order(lite):
    """boxes, classes, scores, count by position, all float32, boxes normalised: what
    Android, iOS and Coral sample code reads; 100 of them, as export/tflite.yaml says."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(lite / "model.tflite"))
    interpreter.allocate_tensors()
    (tile,) = interpreter.get_input_details()
    assert tile["dtype"] == np.uint8 and list(tile["shape"][[0, 3]]) == [1, 3]
    interpreter.set_tensor(tile["index"], np.full(tile["shape"], 255, np.uint8))
    interpreter.invoke()
    outputs = interpreter.get_output_details()
    assert [o["dtype"] for o in outputs] == [np.float32] * 4
    shapes = [tuple(o["shape"]) for o in outputs]
    assert shapes == [(1, 100, 4), (1, 100), (1, 100), (1,)]
    boxes, classes, _, count = (interpreter.get_tensor(o["index"]) for o in outputs)
    assert boxes.min() >= 0.0 and boxes.max() <= 1.0 and 0 <= count[0] <= 100
    assert classes.min() >= 0


def test_quantised_tflite_models_are_smaller_and_still_read(tiny_run, lite, eval_pages, tmp_path):
    """int8, whose converter set-up is dynamic's (Optimize.DEFAULT) plus calibration on the
    run's training pages: the one of the two tested, as each export takes half a minute."""
    import numpy as np
    from PIL import Image

    from imagine_plugins.export.loaders import TfliteDetector

    page = np.asarray(Image.open(sorted(eval_pages.glob("*.png"))[0]).convert("RGB"))
    full = (lite / "model.tflite").stat().st_size
    out = tmp_path / "int8"
    exported = run_imagine(
        "export", str(tiny_run), "--type", "tflite", "--quantize", "int8", "--out", str(out)
    )
    assert exported.code == 0, exported.err[-3000:]
    assert (out / "model.tflite").stat().st_size < 0.5 * full
    detector = TfliteDetector(out)
    size = detector.input_size
    (found,) = detector.detect(page[None, :size, :size])
    assert all(0.0 <= s <= 1.0 for s in found["scores"])
    assert all(0 <= v <= size for box in found["boxes"] for v in box)
    refused = run_imagine("export", str(tiny_run), "--type", "tflite", "--input-type", "tf_example")
    assert refused.code == 2 and "export.input_type" in refused.err


def test_an_output_folder_holding_the_pages_is_refused_and_links_are_not_followed(
    tiny_run, eval_pages, tmp_path
):
    import shutil

    pages = tmp_path / "pages"
    pages.mkdir()
    page = shutil.copy(sorted(eval_pages.glob("*.png"))[0], pages / "page.png")
    (pages / "page.txt").write_text("0 0.5 0.5 0.1 0.1\n")  # the user's YOLO label
    result = run_imagine("ocr", "--model", str(tiny_run), str(page), "--out", str(pages))
    assert result.code == 2 and "--overwrite" in result.err
    assert (pages / "page.txt").read_text() == "0 0.5 0.5 0.1 0.1\n"
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    (out / "page.txt").symlink_to(outside)  # dangling: it points out of the folder
    args = ["ocr", "--model", str(tiny_run), str(page), "--out", str(out), "--format", "txt"]
    result = run_imagine(*args)
    assert result.code == 0, result.err[-3000:]
    assert not outside.exists() and not (out / "page.txt").is_symlink()


def tf_od_snippet(path_to_saved_model: Path, image_path: Path) -> dict:
    """The TF OD API's inference snippet (its TF2 tutorials), as written there but for one
    thing: NumPy 2.4 no longer turns a one-element array into an int, so `int(...)` takes
    element [0] of num_detections ([batch], as in the TF OD API's own exports)."""
    import numpy as np
    import tensorflow as tf
    from PIL import Image

    detect_fn = tf.saved_model.load(str(path_to_saved_model))
    image_np = np.array(Image.open(image_path))
    input_tensor = tf.convert_to_tensor(image_np)
    input_tensor = input_tensor[tf.newaxis, ...]
    detections = detect_fn(input_tensor)
    num_detections = int(detections.pop("num_detections")[0])
    detections = {key: value[0, :num_detections].numpy() for key, value in detections.items()}
    detections["num_detections"] = num_detections
    detections["detection_classes"] = detections["detection_classes"].astype(np.int64)
    return detections


def glyphs_as_imagine_reads(model: Path, image_path: Path) -> list[tuple]:
    """(char, score, box) of `imagine ocr`'s page reader through the export, at the page's
    own scale (the exported graph does not rescale pages)."""
    import numpy as np
    from PIL import Image

    from imagine_core.api import load_detector
    from imagine_plugins.ocr.tiling import TiledPageReader

    pipeline, detector = load_detector(model)
    o = pipeline.ocr
    reader = TiledPageReader(
        o.tile_size, o.tile_overlap, o.min_score, o.low_confidence, o.max_overlap, o.batch_size
    )
    (glyphs,) = reader.read(detector, [np.asarray(Image.open(image_path).convert("RGB"))])
    return sorted((g.char, round(g.score, 4), *(round(v, 1) for v in g.box)) for g in glyphs)


def as_glyphs(detections: dict, names: list[str], height: int, width: int) -> list[tuple]:
    boxes = detections["detection_boxes"] * [height, width, height, width]
    return sorted(
        (names[int(c)], round(float(s), 4), *(round(float(b[i]), 1) for i in (1, 0, 3, 2)))
        for b, c, s in zip(
            boxes, detections["detection_classes"], detections["detection_scores"], strict=True
        )
    )


def test_the_savedmodel_answers_the_tf_od_inference_snippet(saved_model, eval_pages):
    from PIL import Image

    from imagine_core.labelmap import LabelMap

    page = sorted(eval_pages.glob("*.png"))[0]
    detections = tf_od_snippet(saved_model, page)
    width, height = Image.open(page).size  # a whole page, several tiles of the model's size
    names = ["?", *LabelMap.read(saved_model / "assets" / "label_map.pbtxt").names]
    count = detections["num_detections"]
    assert count > 0
    assert detections["detection_boxes"].min() >= 0 and detections["detection_boxes"].max() <= 1
    assert detections["detection_classes"].min() >= 1  # label-map ids
    assert detections["detection_multiclass_scores"].shape == (count, len(names))
    assert detections["raw_detection_scores"].shape[1] == len(names) - 1
    assert as_glyphs(detections, names, height, width) == glyphs_as_imagine_reads(saved_model, page)


def test_every_tf_od_input_type_reads_the_same_page(tiny_run, saved_model, eval_pages, tmp_path):
    import numpy as np
    import tensorflow as tf
    from PIL import Image

    page = sorted(eval_pages.glob("*.png"))[0]
    examples = export(tiny_run, tmp_path / "examples", "--input-type", "tf_example")
    encoded = page.read_bytes()
    record = tf.train.Example(
        features=tf.train.Features(
            feature={
                "image/encoded": tf.train.Feature(bytes_list=tf.train.BytesList(value=[encoded]))
            }
        )
    )
    pixels = tf.constant(np.array(Image.open(page).convert("RGB"))[None])
    by_pixels = tf.saved_model.load(str(saved_model)).signatures["serving_default"]
    by_example = tf.saved_model.load(str(examples)).signatures["serving_default"]
    expected = by_pixels(input_tensor=pixels)
    found = by_example(input_tensor=tf.constant([record.SerializeToString()]))
    assert sorted(found) == sorted(expected)
    for key in ("detection_boxes", "detection_scores", "detection_classes", "num_detections"):
        np.testing.assert_allclose(found[key].numpy(), expected[key].numpy(), atol=1e-5)
    refused = run_imagine(
        "export", str(tiny_run), "--input-type", "jpeg", "--out", str(tmp_path / "x")
    )
    assert refused.code == 2 and "export.input_type" in refused.err


def test_the_api_examples_in_the_docs_run(tiny_run, eval_pages):
    """Every ```python block of docs/api.md, in order, in one namespace."""
    import re

    text = (Path(__file__).parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 6
    namespace = {"RUN_DIR": tiny_run, "PAGE": sorted(eval_pages.glob("*.png"))[0]}
    for block in blocks:
        exec(compile(block, "docs/api.md", "exec"), namespace)
    assert namespace["page"].glyphs  # LOOSE lets every box through


def test_the_api_reads_what_imagine_ocr_reads(tiny_run, eval_pages, tmp_path):
    import numpy as np

    import imagine

    page = sorted(eval_pages.glob("*.png"))[0]
    result = run_imagine(
        "ocr", "--model", str(tiny_run), str(page), "--out", str(tmp_path), "--format", "txt"
    )
    assert result.code == 0, result.err[-3000:]
    read = imagine.load(tiny_run).read(page)
    assert read.text + "\n" == (tmp_path / f"{page.stem}.txt").read_text(encoding="utf-8")
    with pytest.raises(imagine.DataError, match="H x W"):
        imagine.load(tiny_run).read(np.zeros((2, 2, 2, 2)))
