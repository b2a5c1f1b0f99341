"""Page images in, RGB arrays out: files or folders; PNG, JPEG, TIFF (every page of a
multi-page TIFF); grayscale, palette, 16-bit and transparent images; EXIF rotation."""

from __future__ import annotations

import io
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imagine_core.api import IMAGE_LIMIT, DataError, ImagineError, regular_size

SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif"}


@dataclass
class PageImage:
    name: str  # output stem: the file's stem; _p1, _p2 … added for a multi-page TIFF
    path: Path
    index: int  # page number in the file, from 0
    image: np.ndarray  # H x W x 3 uint8
    count: int = 1  # pages in the file


def page_files(inputs: list[Path]) -> list[Path]:
    """Image files named, or found (sorted) in folders named; each once."""
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.suffix.lower() in SUFFIXES)
            if not found:
                raise ImagineError(
                    "no page images in this folder",
                    where=str(item),
                    fix=f"put {', '.join(sorted(SUFFIXES))} files there",
                )
            files.extend(found)
        elif item.is_file():
            files.append(item)
        else:
            raise ImagineError("no such file or folder", where=str(item))
    unique: dict[Path, Path] = {}
    for f in files:
        unique.setdefault(resolved(f), f)
    return list(unique.values())


def resolved(file: Path) -> Path:
    """The file a path names, for telling duplicates apart; a symlink loop names none and
    stays itself (reading it then fails with its own message, the other pages are read)."""
    try:
        return file.resolve()
    except (RuntimeError, OSError):  # RuntimeError: a loop, before Python 3.13
        return file.absolute()


def output_stems(files: list[Path]) -> dict[Path, str]:
    """One output name per file, unique in the batch, so no page's outputs overwrite
    another's: the file's stem, or, where files share one (``vol1/page.png`` and
    ``vol2/page.png``; ``scan.png`` and ``scan.jpg``), its folders below the ones they
    have in common joined to it (``vol1_page``), with the suffix if that is not enough."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for file in files:
        groups[file.stem].append(file)
    stems: dict[Path, str] = {}
    for stem, group in groups.items():
        if len(group) == 1:
            stems[group[0]] = stem
            continue
        common = Path(os.path.commonpath([resolved(f).parent for f in group]))
        parts = {f: resolved(f).parent.relative_to(common).parts for f in group}
        names = {f: "_".join([*parts[f], stem]) for f in group}
        if len(set(names.values())) < len(group):
            names = {f: f"{names[f]}_{f.suffix.lstrip('.').lower()}" for f in group}
        stems.update(names)
    taken: set[str] = set()
    for file, stem in stems.items():  # a file may already be called vol1_page
        name, n = stem, 1
        while name in taken:
            n += 1
            name = f"{stem}_{n}"
        taken.add(name)
        stems[file] = name
    return stems


def to_rgb(frame) -> np.ndarray:
    """Any Pillow image as 8-bit RGB: 16-bit scaled down, alpha laid over white."""
    from PIL import Image

    if frame.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(frame, dtype=np.float64)
        if frame.mode == "F":
            top = 1.0 if values.max() <= 1.0 else 255.0
        else:  # 'I' is how some 16-bit files open
            top = 65535.0 if frame.mode.startswith("I;16") or values.max() > 255 else 255.0
        gray = np.clip(values / top * 255.0, 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if frame.mode == "P":
        frame = frame.convert("RGBA")
    if frame.mode in ("RGBA", "LA"):
        white = Image.new("RGBA", frame.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(white, frame.convert("RGBA"))
    return np.asarray(frame.convert("RGB"))


def read_pages(
    path: Path, stem: str | None = None, data: bytes | None = None
) -> Iterator[PageImage]:
    """Every page of one image file; ``stem`` names its outputs (default: the file's).
    ``data``: the file's bytes when they come from elsewhere (a TFRecord's image/encoded);
    ``path`` then only names it."""
    from PIL import Image, ImageOps, ImageSequence

    stem = stem or path.stem
    if data is None:  # a regular file of bounded size: a FIFO would block the whole batch
        regular_size(path, "page image", IMAGE_LIMIT)
    try:
        with Image.open(path if data is None else io.BytesIO(data)) as img:
            count = getattr(img, "n_frames", 1)
            for index, frame in enumerate(ImageSequence.Iterator(img)):
                if count == 1:
                    frame, name = ImageOps.exif_transpose(frame), stem
                else:
                    name = f"{stem}_p{index + 1}"
                yield PageImage(name, path, index, to_rgb(frame), count)
    except Image.DecompressionBombError as exc:
        raise DataError(
            f"the image is too large to read safely: {exc}",
            where=str(path),
            fix="scale it down, or split it into pages",
        ) from None
    # Pillow's decoders raise more than OSError for a damaged file (a TIFF without its
    # size tags: TypeError 'Missing dimensions'; found by tests/benchmarks/bench_fuzz.py).
    except (OSError, ValueError, TypeError, KeyError, IndexError, EOFError, SyntaxError) as exc:
        raise DataError(
            f"cannot read this image: not an image, or damaged ({type(exc).__name__}: {exc})",
            where=str(path),
            fix="convert it to PNG or TIFF (again, from its source)",
        ) from None
