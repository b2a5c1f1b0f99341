"""tf.train.Example <-> Example, with the TF OD API's feature keys."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from imagine_core.contracts import Box, Example
from imagine_core.errors import DataError
from imagine_core.labelmap import LabelMap, normalise


def encoded_image(example: Example) -> tuple[bytes, bytes]:
    """The image as PNG or JPEG bytes (others are re-encoded as PNG) and its format."""
    data = example.image_bytes()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data, b"png"
    if data.startswith(b"\xff\xd8"):
        return data, b"jpeg"
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        buffer = io.BytesIO()
        img.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue(), b"png"


def to_tf_example(example: Example, label_map: LabelMap) -> bytes:
    import tensorflow as tf

    data, fmt = encoded_image(example)
    name = Path(example.name).stem + (".png" if fmt == b"png" else ".jpg")
    w, h = float(example.width), float(example.height)

    def floats(values: list[float]) -> Any:
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))

    def ints(values: list[int]) -> Any:
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    def strings(values: list[bytes]) -> Any:
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))

    boxes = example.boxes
    feature = {
        "image/height": ints([example.height]),
        "image/width": ints([example.width]),
        "image/filename": strings([name.encode()]),
        "image/source_id": strings([name.encode()]),
        "image/key/sha256": strings([hashlib.sha256(data).hexdigest().encode()]),
        "image/encoded": strings([data]),
        "image/format": strings([fmt]),
        "image/object/bbox/xmin": floats([b.xmin / w for b in boxes]),
        "image/object/bbox/xmax": floats([b.xmax / w for b in boxes]),
        "image/object/bbox/ymin": floats([b.ymin / h for b in boxes]),
        "image/object/bbox/ymax": floats([b.ymax / h for b in boxes]),
        "image/object/class/text": strings([b.label.encode() for b in boxes]),
        # An ignore region has no class: id 0 and weight 0 (the TF OD API's
        # groundtruth weight; a weight-0 box neither teaches a glyph nor background).
        "image/object/class/label": ints(
            [0 if b.ignore else label_map.ids[b.label] for b in boxes]
        ),
        "image/object/weight": floats([0.0 if b.ignore else 1.0 for b in boxes]),
        "image/object/difficult": ints([int(b.difficult) for b in boxes]),
        "image/object/group_of": ints([int(b.group_of) for b in boxes]),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def from_tf_example(raw: bytes, where: str) -> Example:
    import tensorflow as tf

    try:
        features = tf.train.Example.FromString(raw).features.feature
    except Exception as exc:  # DecodeError: a corrupt record
        raise DataError(f"not a tf.train.Example ({exc})", where=where) from None

    def get(key: str, kind: str) -> list:
        return list(getattr(features[key], kind).value) if key in features else []

    try:
        width, height = get("image/width", "int64_list")[0], get("image/height", "int64_list")[0]
        data = get("image/encoded", "bytes_list")[0]
    except IndexError:
        raise DataError(
            "the record lacks image/width, image/height or image/encoded", where=where
        ) from None
    coords = [get(f"image/object/bbox/{k}", "float_list") for k in ("xmin", "ymin", "xmax", "ymax")]
    texts = [normalise(t.decode("utf-8")) for t in get("image/object/class/text", "bytes_list")]
    if len({len(c) for c in coords}) != 1 or len(texts) != len(coords[0]):
        raise DataError(
            "the box and class lists have different lengths",
            where=where,
            fix="every object needs xmin, ymin, xmax, ymax and class/text",
        )
    difficult = get("image/object/difficult", "int64_list") or [0] * len(texts)
    group_of = get("image/object/group_of", "int64_list") or [0] * len(texts)
    boxes = [
        Box(
            x0 * width,
            y0 * height,
            x1 * width,
            y1 * height,
            label=t,
            difficult=bool(d),
            group_of=bool(g),
        )
        for x0, y0, x1, y1, t, d, g in zip(*coords, texts, difficult, group_of, strict=False)
    ]
    filename = (get("image/filename", "bytes_list") or [b""])[0].decode("utf-8", "replace")
    return Example(
        image=data,
        width=int(width),
        height=int(height),
        boxes=boxes,
        source=where,
        filename=Path(filename).name,
    )
