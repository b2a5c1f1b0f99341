"""COCO JSON through pycocotools (reading and indexing); written back with json."""

from __future__ import annotations

import contextlib
import io
import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imagine_core.api import (
    IGNORE,
    JSON_LIMIT,
    Box,
    DataError,
    DatasetReader,
    DatasetWriter,
    Example,
    decode_text,
    hookimpl,
    normalise,
    read_bytes,
)

MAX_NAME = 4096  # bytes in a file_name; a file system allows 255 per folder or file


@dataclass
class Problem:
    """An entry of the file that is no usable item: read as an item that fails, so
    every policy names it (and strict stops at it) like any other bad item."""

    where: str
    what: str


@dataclass
class CocoFile:
    index: Any  # a pycocotools COCO of the entries that passed
    problems: list[Problem] = field(default_factory=list)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _id_of(entry: Any, key: str = "id") -> int | None:
    """``entry[key]`` when it is an integer id; None for anything else (a string, null,
    a list), which no lookup then matches."""
    value = entry.get(key) if isinstance(entry, dict) else None
    return value if _is_id(value) else None


def _document(path: Path) -> dict:
    """The parsed JSON of ``path``, a dict with the three COCO lists."""
    data = read_bytes(path, "COCO JSON file", JSON_LIMIT)
    try:
        document = json.loads(decode_text(data, "COCO JSON file", str(path)))
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from None
    except RecursionError:
        raise DataError("the JSON is nested too deeply to be COCO", where=str(path)) from None
    if not isinstance(document, dict) or not all(
        isinstance(document.get(key), list) for key in ("images", "annotations", "categories")
    ):
        raise DataError(
            "not a COCO detection file",
            where=str(path),
            fix="it needs the lists 'images', 'annotations' and 'categories'",
        )
    return document


def _image_problem(image: Any) -> str | None:
    if not isinstance(image, dict) or not _is_id(image.get("id")):
        return "the image's id is not an integer"
    name = image.get("file_name")
    if not isinstance(name, str) or not name.strip():
        return "the image has no file_name"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME or any(
        len(part.encode("utf-8", "surrogateescape")) > 255 for part in Path(name).parts
    ):
        return f"the file_name is {len(name)} characters long, more than a file system allows"
    for key in ("width", "height"):
        value = image.get(key)
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 1:
            return f"the image's {key} is {value!r}, not a positive number"
    return None


def _valid_entries(path: Path, document: dict) -> tuple[dict, list[Problem]]:
    """The images, annotations and categories of ``document`` that can be used, and a
    Problem for each that cannot: ids that are no integers or are used twice, images
    without a usable name or size, categories without a name, annotations pointing at
    no image or no category. Nothing is merged or dropped unnamed."""
    problems: list[Problem] = []
    ids = Counter(_id_of(i) for i in document["images"])
    images = []
    for n, image in enumerate(document["images"]):
        where = f"{path} (images[{n}])"
        what = _image_problem(image)
        if what is None and ids[image["id"]] > 1:
            what = f"image id {image['id']} is used by {ids[image['id']]} images"
        if what:
            problems.append(Problem(where, what))
        else:
            images.append(image)
    categories, cat_ids = [], Counter(_id_of(c) for c in document["categories"])
    for n, cat in enumerate(document["categories"]):
        where = f"{path} (categories[{n}])"
        if not isinstance(cat, dict) or not _is_id(cat.get("id")) or cat_ids[cat["id"]] > 1:
            problems.append(Problem(where, "the category id is not a unique integer"))
        elif not isinstance(cat.get("name"), str) or not cat["name"].strip():
            problems.append(Problem(where, f"category {cat['id']} has no name"))
        else:
            categories.append(cat)
    known_images = {i["id"] for i in images}
    all_images = {_id_of(i) for i in document["images"]} - {None}
    known_cats = {c["id"] for c in categories}
    annotations = []
    for n, ann in enumerate(document["annotations"]):
        where = f"{path} (annotations[{n}])"
        if not isinstance(ann, dict):
            problems.append(Problem(where, "the annotation is not an object"))
        elif _id_of(ann) is None:  # pycocotools indexes annotations by it
            problems.append(Problem(where, f"the annotation's id {ann.get('id')!r} is no integer"))
        elif _id_of(ann, "image_id") not in all_images:
            problems.append(
                Problem(where, f"the annotation's image_id {ann.get('image_id')!r} is no image")
            )
        elif ann["image_id"] not in known_images:
            continue  # its image is named as a problem already
        elif _id_of(ann, "category_id") not in known_cats:
            problems.append(
                Problem(
                    where,
                    f"the annotation's category_id {ann.get('category_id')!r} is no usable "
                    "category",
                )
            )
        else:
            annotations.append(ann)
    entries = {"images": images, "annotations": annotations, "categories": categories}
    return entries, problems


def load_coco(path: Path) -> CocoFile:
    """A pycocotools COCO index of the usable entries of ``path`` and the problems of
    the rest; its chatter goes nowhere."""
    from pycocotools.coco import COCO

    if not path.exists():
        raise DataError(
            "file not found", where=str(path), fix="point input_path at a COCO JSON file"
        )
    entries, problems = _valid_entries(path, _document(path))
    index = COCO()
    index.dataset = entries  # only validated entries: indexing them cannot fail
    with contextlib.redirect_stdout(io.StringIO()):
        index.createIndex()
    return CocoFile(index, problems)


def _coco_files(folder: Path) -> list[Path]:
    """The COCO files of a folder (``imagine data convert --to coco`` writes train.json,
    val.json … there): JSON whose start names its images and annotations."""
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            with open(path, "rb") as handle:
                head = handle.read(1 << 16)
        except OSError:
            continue
        if b'"images"' in head or b'"annotations"' in head:
            found.append(path)
    return found


def _coco_source(source: str) -> bool:
    path = Path(source).expanduser()
    if path.suffix.lower() == ".json":
        return True
    return path.is_dir() and bool(_coco_files(path))


class CocoReader(DatasetReader):
    def __init__(self, files: list[str], image_dir: str = ""):
        given = [Path(f).expanduser() for f in files]
        # A folder stands for its COCO files: a dataset this project wrote reads back.
        self.files = [f for g in given for f in (_coco_files(g) if g.is_dir() else [g])]
        self.image_dir = Path(image_dir).expanduser() if image_dir else None
        self._index: dict[Path, CocoFile] = {}

    def _coco(self, path: Path) -> CocoFile:
        if path not in self._index:
            self._index[path] = load_coco(path)
        return self._index[path]

    def items(self) -> Iterator[tuple[Path, Any]]:
        for path in self.files:
            loaded = self._coco(path)
            for image_id in sorted(loaded.index.imgs):
                yield (path, image_id)
            for problem in loaded.problems:
                yield (path, problem)

    def parse(self, item: tuple[Path, Any]) -> Example:
        path, image_id = item
        if isinstance(image_id, Problem):
            raise DataError(image_id.what, where=image_id.where)
        coco = self._coco(path).index
        info = coco.imgs[image_id]
        where = f"{path} (image id {image_id})"
        name = info["file_name"]
        width, height = int(info["width"]), int(info["height"])
        boxes = []
        for ann in coco.imgToAnns.get(image_id, []):
            try:
                x, y, w, h = (_json_number(v) for v in ann["bbox"])
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(
                    f"annotation {ann.get('id')} has no bbox of four numbers ({exc})", where=where
                ) from None
            label = normalise(coco.cats[ann["category_id"]]["name"].strip())
            boxes.append(Box(x, y, x + w, y + h, label=label, group_of=bool(ann.get("iscrowd", 0))))
        image = (self.image_dir or path.parent) / name
        return Example(
            image=image,
            width=width,
            height=height,
            boxes=boxes,
            source=where,
            filename=Path(name).name,
        )


class CocoWriter(DatasetWriter):
    """``OUT/<split>.json`` and the images in ``OUT/<split>/`` (file names relative to the
    JSON's folder); category ids are label map ids."""

    def write(self, examples, out_dir, label_map, *, split="train", shards=1):
        folder = out_dir / split
        folder.mkdir(parents=True, exist_ok=True)
        images, annotations = [], []
        written = []
        for image_id, example in enumerate(examples, start=1):
            image = example.save_image(folder)
            written.append(image)
            images.append(
                {
                    "id": image_id,
                    "file_name": f"{split}/{image.name}",  # relative to the JSON's folder
                    "width": example.width,
                    "height": example.height,
                }
            )
            for box in example.boxes:
                if box.ignore:
                    raise DataError(
                        f"an ignore region ({IGNORE}) has no category in COCO",
                        where=example.source or example.name,
                        fix="write it as labelimg or tfrecord, which keep ignore regions",
                    )
                annotations.append(
                    {
                        "id": len(annotations) + 1,
                        "image_id": image_id,
                        "category_id": label_map.ids[box.label],
                        "bbox": [box.xmin, box.ymin, box.width, box.height],
                        "area": box.width * box.height,
                        "iscrowd": int(box.group_of),
                    }
                )
        categories = [
            {"id": i, "name": name, "supercategory": "glyph"} for name, i in label_map.ids.items()
        ]
        target = out_dir / f"{split}.json"
        document = {"images": images, "annotations": annotations, "categories": categories}
        target.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        return [target, *written]


@hookimpl
def imagine_register(registry):
    from imagine_core.api import proto_module

    registry.add(
        "dataset_reader",
        "coco_input_reader",
        factory=lambda config, slot=None, pipeline=None: CocoReader(
            list(config.input_path), config.image_dir
        ),
        config_type=proto_module("input_reader").CocoInputReader,
        claims=_coco_source,
        description="COCO detection JSON",
    )
    registry.add(
        "dataset_writer",
        "coco",
        factory=lambda **_: CocoWriter(),
        description="COCO detection JSON with the images beside it",
    )


@hookimpl
def imagine_reads():
    return [f"{s}.coco_input_reader.*" for s in ("train_input_reader", "eval_input_reader")]


def _json_number(value) -> float:
    """A JSON number; a string ("12", or "١٢" that float() would also read) is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{value!r} is not a JSON number")
    return float(value)
