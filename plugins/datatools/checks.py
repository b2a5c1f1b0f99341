"""What can be wrong with an annotated image, and what each policy does about it.

Every reader's examples go through these checks wherever they are read — ``imagine data
check|convert`` here, and through the registry (kind ``example_checker``, one per policy)
the training records and evaluation.

- ``strict``: the first problem stops everything (DataError, exit code 2);
- ``skip``: an example with any problem is left out, and named;
- ``repair``: boxes are clipped to the image and swapped corners put right, the
  image's real size wins over the annotation's, duplicates are dropped; what
  cannot be repaired (a zero-area box, an unknown label) is dropped; unreadable
  images are left out. Every change is named.

Images that are not plain 8-bit RGB or grey (CMYK, 16-bit, palette, alpha) are
converted to RGB PNG in every mode, and the conversion is noted.

One item never stops the others (but under ``strict``): whatever goes wrong while an
item is read — a reader's own error or an unexpected one — is named with the item,
and the rest go on. Files the reader leaves out on purpose (sub-folders) are noted.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from imagine_core.api import (
    IMAGE_LIMIT,
    Box,
    DataError,
    DatasetReader,
    Example,
    ExampleChecker,
    LabelMap,
    debug_enabled,
    regular_size,
    shown,
)

POLICIES = ("strict", "skip", "repair")
MAX_LABEL = 32  # characters: a glyph, a ligature or a short abbreviation mark, no more
PLAIN_MODES = ("RGB", "L")
PLAIN_FORMATS = ("PNG", "JPEG")


@dataclass(frozen=True)
class Issue:
    """One problem found, where, and what was done: error, skipped, repaired, dropped, note."""

    where: str
    what: str
    action: str

    def __post_init__(self) -> None:  # file names with undecodable bytes stay printable
        object.__setattr__(self, "where", shown(self.where))
        object.__setattr__(self, "what", shown(self.what))


@dataclass
class CheckResult:
    examples: list[Example] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    items: int = 0

    def count(self, action: str) -> int:
        return sum(1 for i in self.issues if i.action == action)


class _Skip(Exception):
    """Leave this example out (already recorded)."""


class Checker(ExampleChecker):
    def __init__(self, policy: str = "strict", label_map: LabelMap | None = None):
        if policy not in POLICIES:
            raise DataError(f"unknown --on-error policy {policy!r}", fix=f"use one of {POLICIES}")
        self.policy = policy
        self.label_map = label_map
        self.issues: list[Issue] = []
        self._described: dict[Path, str] = {}  # image -> the annotation that described it

    def _problem(self, where: str, what: str, repairable: bool = False) -> bool:
        """Record a problem; return True when it is to be repaired in place."""
        if self.policy == "strict":
            raise DataError(
                what, where=where, fix="fix the file, or run with --on-error skip|repair"
            )
        if self.policy == "repair" and repairable:
            self.issues.append(Issue(where, what, "repaired"))
            return True
        if self.policy == "repair":
            self.issues.append(Issue(where, what, "dropped"))
            return False
        self.issues.append(Issue(where, what, "skipped"))
        raise _Skip

    def run(self, reader: DatasetReader, progress: str | None = None) -> CheckResult:
        """Parse and check every item of ``reader``, with a progress bar titled ``progress``."""
        result = CheckResult()
        items: Iterable[Any] = _listed(reader)
        if progress:
            from rich.progress import track

            from imagine_core.api import err

            items = track(items, description=progress, console=err, transient=True)
        for item in items:
            result.items += 1
            try:
                checked = self.check(reader.parse(item))
            except DataError as exc:
                if self.policy == "strict":
                    raise
                self.issues.append(Issue(exc.where or str(item), exc.what, "skipped"))
                continue
            except Exception as exc:  # one item's surprise must not stop the others
                self._unexpected(item, exc)
                continue
            if checked is not None:
                result.examples.append(checked)
        self.issues += [Issue(where, what, "note") for where, what in reader.notes()]
        result.issues = self.issues
        return result

    def _unexpected(self, item: Any, exc: Exception) -> None:
        what = f"cannot be read ({type(exc).__name__}: {exc})"
        if debug_enabled():
            import traceback

            what += "\n" + "".join(traceback.format_exception(exc))
        if self.policy == "strict":
            raise DataError(
                what, where=str(item), fix="fix or remove it, or run with --on-error skip"
            ) from exc
        self.issues.append(Issue(str(item), what, "skipped"))

    def check(self, example: Example) -> Example | None:
        try:
            self._once(example)
            example = self._image(example)
            if shown(example.filename) != example.filename:
                self.issues.append(
                    Issue(example.source, "the file name is not UTF-8; written escaped", "note")
                )
                example = replace(example, filename=shown(example.filename))
            if not example.boxes:
                self.issues.append(Issue(example.source, "no objects are marked", "note"))
            boxes = [b for b in (self._box(example, b) for b in example.boxes) if b is not None]
            return replace(example, boxes=self._deduplicate(example, boxes))
        except _Skip:
            return None

    def _once(self, example: Example) -> None:
        """An image two annotation files describe (``b.xml`` naming ``a.png``) would be
        trained on twice, with either file's boxes, and the other image not at all."""
        if not isinstance(example.image, Path):
            return
        try:
            image = example.image.resolve()
        except (OSError, RuntimeError):
            return  # unreadable: said by _image
        first = self._described.setdefault(image, example.source)
        if first != example.source:
            self._problem(
                example.source,
                f"describes {example.image.name}, which {first} describes already "
                "(a copied file whose <filename> was not changed?)",
            )

    def _image(self, example: Example) -> Example:
        from PIL import Image, UnidentifiedImageError

        where = example.source
        if isinstance(example.image, Path):
            where = str(example.image)
            try:
                empty = regular_size(example.image, "image file", IMAGE_LIMIT) == 0
            except DataError as exc:
                self._fatal(where, exc.what)
            if empty:
                self._fatal(where, "the image file is empty (0 bytes)")
        try:
            with Image.open(io.BytesIO(example.image_bytes())) as img:
                img.load()
                size, mode, fmt = img.size, img.mode, img.format
                converted = None if (mode in PLAIN_MODES and fmt in PLAIN_FORMATS) else _to_rgb(img)
        except Image.DecompressionBombError as exc:
            self._fatal(where, f"the image is too large to read safely ({exc})")
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            self._fatal(where, f"the image cannot be read ({exc})")
        if converted is not None:
            self.issues.append(Issue(where, f"{fmt} {mode} image converted to RGB PNG", "note"))
            example = replace(example, image=converted, filename=Path(example.name).stem + ".png")
        if size != (example.width, example.height):
            what = (
                f"the annotation says {example.width}x{example.height} but the image is "
                f"{size[0]}x{size[1]}"
            )
            if self._problem(example.source, what, repairable=True):
                example = replace(example, width=size[0], height=size[1])
            else:
                raise _Skip
        return example

    def _fatal(self, where: str, what: str) -> None:
        if self.policy == "strict":
            raise DataError(what, where=where, fix="fix or remove it, or run with --on-error skip")
        self.issues.append(Issue(where, what, "skipped"))
        raise _Skip

    def _box(self, example: Example, box: Box) -> Box | None:
        where = f"{example.source}:{box.line}" if box.line else example.source
        shown_label = box.label if len(box.label) <= MAX_LABEL else box.label[:MAX_LABEL] + "…"
        label = f"box {shown_label!r} ({box.xmin:g},{box.ymin:g},{box.xmax:g},{box.ymax:g})"
        if not all(map(math.isfinite, (box.xmin, box.ymin, box.xmax, box.ymax))):
            self._problem(where, f"{label}: a coordinate is not a finite number")
            return None
        if not box.ignore and not box.label.strip():
            self._problem(where, f"{label}: the label is empty")
            return None
        if not box.ignore and _invisible(box.label):
            self._problem(
                where,
                f"{label}: the label is only invisible characters "
                f"({' '.join(f'U+{ord(c):04X}' for c in box.label)}): no glyph to learn",
            )
            return None
        if len(box.label) > MAX_LABEL:
            self._problem(
                where,
                f"{label}: the label is {len(box.label)} characters long; a glyph's label is "
                f"a character or a short ligature (at most {MAX_LABEL})",
            )
            return None
        if self.label_map is not None and not box.ignore and box.label not in self.label_map:
            self._problem(where, f"{label}: the label is not in the label map")
            return None
        if box.xmin > box.xmax or box.ymin > box.ymax:
            if not self._problem(where, f"{label}: corners are swapped", repairable=True):
                return None
            box = replace(
                box,
                xmin=min(box.xmin, box.xmax),
                xmax=max(box.xmin, box.xmax),
                ymin=min(box.ymin, box.ymax),
                ymax=max(box.ymin, box.ymax),
            )
        if box.width <= 0 or box.height <= 0:
            self._problem(where, f"{label}: zero area")
            return None
        w, h = example.width, example.height
        if box.xmax <= 0 or box.ymax <= 0 or box.xmin >= w or box.ymin >= h:
            self._problem(where, f"{label}: entirely outside the {w}x{h} image")
            return None
        if box.xmin < 0 or box.ymin < 0 or box.xmax > w or box.ymax > h:
            if not self._problem(where, f"{label}: outside the {w}x{h} image", repairable=True):
                return None
            box = replace(
                box,
                xmin=max(0.0, box.xmin),
                ymin=max(0.0, box.ymin),
                xmax=min(float(w), box.xmax),
                ymax=min(float(h), box.ymax),
            )
        return box

    def _deduplicate(self, example: Example, boxes: list[Box]) -> list[Box]:
        seen: set[tuple] = set()
        kept = []
        for box in boxes:
            key = (box.label, box.xmin, box.ymin, box.xmax, box.ymax)
            if key in seen:
                where = f"{example.source}:{box.line}" if box.line else example.source
                self._problem(
                    where, f"box {box.label!r} is marked twice at the same place", repairable=True
                )
                continue
            seen.add(key)
            kept.append(box)
        return kept


def _invisible(label: str) -> bool:
    """Only format, control or separator characters (zero-width space and joiners, a
    byte-order mark): nothing on the page to mark. A combining mark alone is visible."""
    import unicodedata

    return all(unicodedata.category(ch)[0] in "CZ" for ch in label)


def _listed(reader: DatasetReader) -> list[Any]:
    """Every item of ``reader``; a reader that cannot even list its source (a missing
    folder, a JSON file that is not COCO) raises one DataError for the whole source."""
    try:
        return list(reader.items())
    except DataError:
        raise
    except Exception as exc:
        raise DataError(
            f"the source cannot be listed ({type(exc).__name__}: {exc})",
            fix="check the path and --format; `imagine data check --debug` shows the traceback",
        ) from exc


def _to_rgb(img: Any) -> bytes:
    """8-bit RGB PNG bytes of any Pillow image (16-bit scaled, alpha laid on white)."""
    import numpy as np
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or array.max() > 255 else 255.0
        img = Image.fromarray(np.clip(array / top * 255.0, 0, 255).astype(np.uint8), "L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    buffer = io.BytesIO()
    img.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def labels_of(examples: Iterable[Example]) -> Iterator[str]:
    """Every glyph label (ignore regions are no class)."""
    for example in examples:
        for box in example.boxes:
            if not box.ignore:
                yield box.label
