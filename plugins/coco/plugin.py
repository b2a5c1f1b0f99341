"""COCO JSON through pycocotools (reading and indexing); written back with json."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imagine_core import hookimpl
from imagine_core.contracts import IGNORE, Box, DatasetReader, DatasetWriter, Example
from imagine_core.errors import DataError
from imagine_core.labelmap import normalise


def load_coco(path: Path) -> Any:
    """A pycocotools COCO index of ``path``; its chatter goes nowhere, its errors are named."""
    from pycocotools.coco import COCO

    if not path.is_file():
        raise DataError(
            "file not found", where=str(path), fix="point input_path at a COCO JSON file"
        )
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return COCO(str(path))
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from None
    except (KeyError, TypeError, AssertionError, ValueError) as exc:
        raise DataError(
            f"not a COCO detection file ({type(exc).__name__}: {exc})",
            where=str(path),
            fix="it needs 'images', 'annotations' and 'categories'",
        ) from None


class CocoReader(DatasetReader):
    def __init__(self, files: list[str], image_dir: str = ""):
        self.files = [Path(f).expanduser() for f in files]
        self.image_dir = Path(image_dir).expanduser() if image_dir else None
        self._index: dict[Path, Any] = {}

    def _coco(self, path: Path) -> Any:
        if path not in self._index:
            self._index[path] = load_coco(path)
        return self._index[path]

    def items(self) -> Iterator[tuple[Path, int]]:
        for path in self.files:
            coco = self._coco(path)
            for image_id in sorted(coco.imgs):
                yield (path, image_id)

    def parse(self, item: tuple[Path, int]) -> Example:
        path, image_id = item
        coco = self._coco(path)
        info = coco.imgs[image_id]
        where = f"{path} (image id {image_id})"
        try:
            name = str(info["file_name"])
            width, height = int(info["width"]), int(info["height"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"image entry lacks {exc}", where=where) from None
        boxes = []
        for ann in coco.imgToAnns.get(image_id, []):
            try:
                x, y, w, h = (float(v) for v in ann["bbox"])
                label = normalise(str(coco.cats[ann["category_id"]]["name"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(
                    f"annotation {ann.get('id')} is malformed ({exc})", where=where
                ) from None
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
    from imagine_core.schema import proto_module

    registry.add(
        "dataset_reader",
        "coco_input_reader",
        factory=lambda config, slot=None, pipeline=None: CocoReader(
            list(config.input_path), config.image_dir
        ),
        config_type=proto_module("input_reader").CocoInputReader,
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
