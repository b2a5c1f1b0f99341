"""``imagine eval --detections``: score detections saved earlier, as the TF OD API's OID
tutorial does after ``infer_detections`` — no model needed.

Two sources: TFRecords carrying both ground truth and the TF OD API's ``image/detection/*``
keys, or a folder of ``imagine ocr`` JSON with the ground truth given by ``--gt``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from imagine_core.api import DataError

DEFAULT_METRICS = ["pascal_voc_detection_metrics", "coco_detection_metrics"]


def _found(boxes: list, labels: list, scores: list) -> dict[str, list]:
    return {"boxes": [list(b) for b in boxes], "labels": list(labels), "scores": list(scores)}


def _each(reader: Any, failed: list[str]) -> list[Any]:
    """Every example ``reader`` can parse; each one it cannot is named in ``failed``
    (one bad page leaves the others to be scored)."""
    examples = []
    for item in reader.items():
        try:
            examples.append(reader.parse(item))
        except DataError as exc:
            failed.append(str(exc).splitlines()[0])
    return examples


def from_records(source: str, label_map: str | None, failed: list[str]) -> list[tuple[Any, dict]]:
    """(example, detections) per record; a record without detection keys is named."""
    from imagine_core.api import reader_for

    pairs = []
    for example in _each(reader_for(source, "tfrecord", label_map or ""), failed):
        if example.detections is None:
            failed.append(f"{example.source}: this record has no image/detection/* keys")
            continue
        found = example.detections
        pairs.append(
            (example, _found([d[0] for d in found], [d[1] for d in found], [d[2] for d in found]))
        )
    if not pairs and failed:
        raise DataError(
            f"no record could be scored; first: {failed[0]}",
            where=source,
            fix="give records written by an inference job (bbox, label, score), or a "
            "folder of `imagine ocr` JSON with --gt",
        )
    if pairs and not any(example.boxes for example, _ in pairs):
        raise DataError(
            "the records carry detections but no ground truth (image/object/*): there is "
            "nothing to score them against",
            where=source,
            fix="infer on annotated records (`imagine data convert PAGES --to tfrecord OUT`), "
            "or score `imagine ocr` JSON against the pages with --gt",
        )
    return pairs


def _json_glyphs(path: Path) -> dict[str, list]:
    try:
        glyphs = json.loads(path.read_text(encoding="utf-8"))["glyphs"]
        return _found(
            [g["box"] for g in glyphs], [g["char"] for g in glyphs], [g["score"] for g in glyphs]
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"not the JSON `imagine ocr` writes ({type(exc).__name__}: {exc})",
            where=str(path),
            fix="give the --out folder of `imagine ocr --format json`",
        ) from None


def from_json(
    folder: Path, gt: str, label_map: str | None, failed: list[str]
) -> list[tuple[Any, dict]]:
    """``imagine ocr`` JSON (``<page>.json``) beside the annotated pages of ``gt``; a page
    without (readable) detections is named in ``failed`` and left out."""
    from imagine_core.api import reader_for

    pairs = []
    for example in _each(reader_for(gt, None, label_map or ""), failed):
        path = folder / f"{Path(example.name).stem}.json"
        if not path.is_file():
            failed.append(f"{path}: no detections (run `imagine ocr --format json` on the page)")
            continue
        try:
            pairs.append((example, _json_glyphs(path)))
        except DataError as exc:
            failed.append(str(exc).splitlines()[0])
    if not pairs:
        raise DataError(
            f"no page could be scored; first: {failed[0] if failed else 'no pages'}",
            where=str(folder),
            fix="run `imagine ocr --format json` on the annotated pages (it writes <page>.json)",
        )
    return pairs


def saved_pairs(
    source: Path, gt: str | None, label_map: str | None, failed: list[str]
) -> list[tuple[Any, dict]]:
    """(example, detections) of every page that can be scored; the others are named in
    ``failed``."""
    records = source.is_dir() and any(".record" in p.name for p in source.iterdir())
    if source.is_dir() and any(source.glob("*.json")) and not records:
        if gt is None:
            raise DataError(
                "JSON detections need their ground truth",
                where=str(source),
                fix="add --gt DATA (the annotated pages: a LabelImg folder, COCO JSON, …)",
            )
        return from_json(source, gt, label_map, failed)
    if gt is not None:
        raise DataError(
            "--gt goes with a folder of `imagine ocr` JSON; records carry their ground truth",
            where=str(source),
        )
    beside = (source if source.is_dir() else source.parent) / "label_map.pbtxt"
    if label_map is None and beside.is_file():  # `imagine infer` writes the ids' map there
        label_map = str(beside)
    return from_records(str(source), label_map, failed)
