"""TFRecords for ``imagine infer``: which inputs are record files, their records one by
one, and the TF OD API's ``image/detection/*`` keys added to a ``tf.train.Example``
(what the TF OD API's ``infer_detections`` writes: the input example kept whole, the
detections beside its ground truth, so ``imagine eval --detections`` scores the output)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imagine_core.api import Glyph

DETECTION_KEYS = (
    "image/detection/bbox/ymin",
    "image/detection/bbox/xmin",
    "image/detection/bbox/ymax",
    "image/detection/bbox/xmax",
    "image/detection/label",
    "image/detection/score",
)


def is_record_file(path: Path) -> bool:
    """``x.record``, ``x.tfrecord``, ``x.tfrecord-00000-of-00010`` … (the TF OD API's names)."""
    return ".record" in path.name or ".tfrecord" in path.name


def records(row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every record of the file ``row["source"]``, in order; a damaged file ends in one
    row that names it (``error``), after the records read before the damage."""
    import tensorflow as tf

    source = row["source"]
    index = 0
    try:
        for raw in tf.data.TFRecordDataset(source).as_numpy_iterator():
            yield {"source": source, "index": index, "data": raw, "error": ""}
            index += 1
    except tf.errors.OpError as exc:  # DataLossError: a cut or corrupted file
        message = str(exc).strip().splitlines()[0]
        yield {
            "source": source,
            "index": index,
            "data": b"",
            "error": f"the TFRecord file is damaged at record {index} ({message}); the "
            "records before it were read",
        }


def encoded_image(example: Any, where: str) -> bytes:
    """The bytes of ``image/encoded``."""
    from imagine_core.api import DataError

    values = example.features.feature["image/encoded"].bytes_list.value
    if not values:
        raise DataError(
            "the record has no image/encoded", where=where, fix="write the image into the record"
        )
    return values[0]


def add_detections(
    example: Any, glyphs: list[Glyph], width: int, height: int, ids: dict[str, int]
) -> None:
    """Write the glyphs as ``image/detection/*`` (boxes normalised ``[0, 1]``, label-map
    ids), replacing detections an earlier inference left."""
    feature = example.features.feature
    for key in DETECTION_KEYS:
        if key in feature:
            del feature[key]
    order = sorted(glyphs, key=lambda g: -g.score)  # TF OD order: best first
    for i, key in enumerate(("xmin", "ymin", "xmax", "ymax")):
        scale = width if key[0] == "x" else height
        values = [min(max(g.box[i] / scale, 0.0), 1.0) for g in order]
        feature[f"image/detection/bbox/{key}"].float_list.value.extend(values)
    feature["image/detection/label"].int64_list.value.extend(ids.get(g.char, 0) for g in order)
    feature["image/detection/score"].float_list.value.extend(g.score for g in order)


def new_example(name: str, image: Any, data: bytes | None) -> Any:
    """A ``tf.train.Example`` for a page read from an image file: the file's bytes when
    they are PNG or JPEG, else the page re-encoded as PNG (a TIFF's pages, BMP …)."""
    from PIL import Image
    from tensorflow.core.example import example_pb2

    fmt = b"png" if data and data.startswith(b"\x89PNG") else b"jpeg"
    if not data or not (data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8")):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        data, fmt = buffer.getvalue(), b"png"
    example = example_pb2.Example()
    feature = example.features.feature
    feature["image/encoded"].bytes_list.value.append(data)
    feature["image/format"].bytes_list.value.append(fmt)
    feature["image/filename"].bytes_list.value.append(name.encode())
    feature["image/source_id"].bytes_list.value.append(name.encode())
    feature["image/height"].int64_list.value.append(image.shape[0])
    feature["image/width"].int64_list.value.append(image.shape[1])
    return example
