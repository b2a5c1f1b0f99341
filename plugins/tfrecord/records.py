"""tf.train.Example <-> Example, with the TF OD API's feature keys."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from imagine_core.api import Box, DataError, Example, LabelMap, normalise

BOX_FLAGS = ("difficult", "group_of", "truncated")  # image/object/<flag>, 0 or 1 per box


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
        **{f"image/object/{k}": ints([int(getattr(b, k)) for b in boxes]) for k in BOX_FLAGS},
    }
    if example.verified:
        labels = list(example.verified)
        feature["image/class/text"] = strings([t.encode() for t in labels])
        feature["image/class/label"] = ints([label_map.ids.get(t, 0) for t in labels])
        feature["image/class/confidence"] = floats([float(example.verified[t]) for t in labels])
    if example.detections is not None:
        found = example.detections
        for i, key in enumerate(("xmin", "ymin", "xmax", "ymax")):
            scale = w if key[0] == "x" else h
            feature[f"image/detection/bbox/{key}"] = floats([d[0][i] / scale for d in found])
        feature["image/detection/label"] = ints([label_map.ids.get(d[1], 0) for d in found])
        feature["image/detection/score"] = floats([d[2] for d in found])
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def image_size(data: bytes, where: str) -> tuple[int, int]:
    """Width and height from the encoded image, as the TF OD API's decoder takes them
    when a record has no image/width, image/height."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"image/encoded is not an image ({exc})", where=where) from None


class Features:
    """Typed access to a tf.train.Example's features (absent keys read as empty)."""

    def __init__(self, raw: bytes, where: str):
        import tensorflow as tf

        try:
            self.features = tf.train.Example.FromString(raw).features.feature
        except Exception as exc:  # DecodeError: a corrupt record
            raise DataError(f"not a tf.train.Example ({exc})", where=where) from None

    def ints(self, key: str) -> list[int]:
        return list(self.features[key].int64_list.value) if key in self.features else []

    def floats(self, key: str) -> list[float]:
        return list(self.features[key].float_list.value) if key in self.features else []

    def texts(self, key: str) -> list[str]:
        if key not in self.features:
            return []
        return [normalise(v.decode("utf-8")) for v in self.features[key].bytes_list.value]

    def first(self, key: str) -> bytes | None:
        values = self.features[key].bytes_list.value if key in self.features else []
        return values[0] if values else None


def class_names(texts: list[str], ids: list[int], names: dict[int, str], where: str) -> list[str]:
    """The objects' classes: class/text, else class/label through the label map."""
    if texts or not ids:
        return texts
    unknown = sorted({i for i in ids if i not in names})
    if unknown:
        raise DataError(
            f"the record names its classes by id only (image/object/class/label) and "
            f"{'no label map is given' if not names else f'ids {unknown[:5]} are not in it'}",
            where=where,
            fix="give the label map the records were written with (--label-map FILE, "
            "or label_map_path in the input reader)",
        )
    return [names[i] for i in ids]


def _flags(f: Features, key: str, count: int) -> list[bool]:
    return [bool(v) for v in f.ints(key)] or [False] * count


def _boxes(f: Features, prefix: str, width: int, height: int) -> list[list[float]] | None:
    """``prefix`` xmin/ymin/xmax/ymax in pixels, or None when the four lists disagree."""
    coords = [f.floats(f"{prefix}/{k}") for k in ("xmin", "ymin", "xmax", "ymax")]
    if len({len(c) for c in coords}) != 1:
        return None
    return [
        [x0 * width, y0 * height, x1 * width, y1 * height]
        for x0, y0, x1, y1 in zip(*coords, strict=True)
    ]


def _detections(f: Features, names: dict[int, str], width: int, height: int, where: str):
    """The TF OD API's image/detection/* keys (infer_detections' output), if any."""
    boxes = _boxes(f, "image/detection/bbox", width, height)
    ids, scores = f.ints("image/detection/label"), f.floats("image/detection/score")
    if boxes == [] and not ids and "image/detection/score" not in f.features:
        return None
    if boxes is None or not len(boxes) == len(ids) == len(scores):
        raise DataError(
            "the detection box, label and score lists have different lengths", where=where
        )
    labels = [names.get(i, f"#{i}") for i in ids]
    return [(tuple(b), label, s) for b, label, s in zip(boxes, labels, scores, strict=True)]


def from_tf_example(raw: bytes, where: str, names: dict[int, str] | None = None) -> Example:
    """One record as an Example; ``names`` (id -> class, the label map) reads records that
    give only class ids."""
    f = Features(raw, where)
    data = f.first("image/encoded")
    if data is None:
        raise DataError("the record lacks image/encoded", where=where)
    width, height = (f.ints("image/width") or [0])[0], (f.ints("image/height") or [0])[0]
    if not width or not height:
        width, height = image_size(data, where)
    ids = f.ints("image/object/class/label")
    texts = f.texts("image/object/class/text")
    names = {**(names or {}), **dict(zip(ids, texts, strict=False))}
    labels = class_names(texts, ids, names, where)
    coords = _boxes(f, "image/object/bbox", width, height)
    if coords is None or len(labels) != len(coords):
        raise DataError(
            "the box and class lists have different lengths",
            where=where,
            fix="every object needs xmin, ymin, xmax, ymax and class/text or class/label",
        )
    flags = {k: _flags(f, f"image/object/{k}", len(labels)) for k in BOX_FLAGS}
    boxes = [
        Box(*xyxy, label=label, **{k: flags[k][i] for k in BOX_FLAGS if i < len(flags[k])})
        for i, (xyxy, label) in enumerate(zip(coords, labels, strict=True))
    ]
    image_labels = f.texts("image/class/text") or [
        names.get(i, f"#{i}") for i in f.ints("image/class/label")
    ]
    confidence = f.floats("image/class/confidence") or [1.0] * len(image_labels)
    filename = (f.first("image/filename") or b"").decode("utf-8", "replace")
    return Example(
        image=data,
        width=int(width),
        height=int(height),
        boxes=boxes,
        source=where,
        filename=Path(filename).name,
        verified={t: c > 0 for t, c in zip(image_labels, confidence, strict=False)},
        detections=_detections(f, names, width, height, where),
    )
