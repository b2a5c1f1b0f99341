"""Few-shot synthesis: many training pages from a few marked glyphs.

Each marked glyph is cut out with where it sits relative to its line (so that
descenders stay below the baseline and apostrophes above), then pages are
composed from random text: glyph crops scaled, slightly rotated, thickened or
thinned, their contrast changed, laid on backgrounds cut from the user's own
pages with the glyphs painted out, and degraded like scans.
"""

from __future__ import annotations

import io
import random
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from imagine_core.contracts import Box, Example
from imagine_core.errors import ImagineError
from imagine_plugins.datatools.demo.degrade import degrade

SCAN_STEPS = ["lighting", "blur", "noise", "jpeg"]


@dataclass
class Glyph:
    label: str
    ink: np.ndarray  # grey crop in [0, 1], paper ~1
    height: float  # relative to its line's median glyph height
    drop: float  # bottom below the line's baseline, relative to that height


def _grey(example: Example) -> np.ndarray:
    with Image.open(io.BytesIO(example.image_bytes())) as img:
        return np.asarray(img.convert("L"), dtype=np.float32) / 255.0


def _lines(boxes: list[Box]) -> list[list[Box]]:
    """Group boxes into text lines by vertical overlap with the line's running centre."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.ymin + b.ymax) / 2):
        centre = (box.ymin + box.ymax) / 2
        for line in lines:
            top = statistics.median(b.ymin for b in line)
            bottom = statistics.median(b.ymax for b in line)
            if top <= centre <= bottom:
                line.append(box)
                break
        else:
            lines.append([box])
    return lines


def _baseline(ink: np.ndarray, box: Box, unit: float) -> float:
    """The baseline of the text line through ``box``, from the ink of the whole line.

    With only a few glyphs marked per line, their own bottoms say little; the row
    profile of all the ink around them shows where the line's core band ends.
    """
    top = max(0, int(box.ymin - 0.5 * unit))
    bottom = min(ink.shape[0], int(box.ymax + 0.5 * unit) + 1)
    left, right = max(0, int(box.xmin - 4 * unit)), int(box.xmax + 4 * unit)  # skew stays small
    profile = ink[top:bottom, left:right].sum(axis=1)
    if profile.size == 0 or profile.max() == 0:
        return box.ymax
    dense = profile > 0.5 * profile.max()
    centre = int((box.ymin + box.ymax) / 2) - top
    rows = np.flatnonzero(dense)
    nearest = rows[np.argmin(np.abs(rows - centre))]
    end = nearest
    while end + 1 < dense.size and dense[end + 1]:
        end += 1
    return float(top + end + 1)


def paint_out_ink(page: np.ndarray, paper: float) -> np.ndarray:
    """The page with all its ink (marked or not) replaced by the paper around it.

    Normalised convolution: a blur of the paper pixels divided by a blur of the
    paper mask fills every inked spot from its surroundings, keeping the page's
    lighting and stains but no text.
    """
    ink = Image.fromarray(((page < paper * 0.8) * 255).astype(np.uint8), "L").filter(
        ImageFilter.MaxFilter(5)
    )
    keep = 1.0 - np.asarray(ink, dtype=np.float32) / 255.0

    def blurred(values: np.ndarray) -> np.ndarray:
        img = Image.fromarray(np.clip(values * 255.0, 0, 255).astype(np.uint8), "L")
        return np.asarray(img.filter(ImageFilter.GaussianBlur(12)), dtype=np.float32) / 255.0

    filled = blurred(page * keep) / np.maximum(blurred(keep), 1e-3)
    filled = np.where(blurred(keep) > 0.02, filled, paper)
    return np.where(keep > 0, page, np.clip(filled, 0.0, 1.0))


def cut_glyphs(examples: list[Example]) -> tuple[dict[str, list[Glyph]], list[np.ndarray]]:
    """Glyph crops by label, and the pages with their ink painted out (backgrounds)."""
    glyphs: dict[str, list[Glyph]] = defaultdict(list)
    backgrounds = []
    for example in examples:
        page = _grey(example)
        paper = float(np.percentile(page, 90)) or 1.0
        unit = statistics.median(b.height for b in example.boxes) if example.boxes else 1.0
        ink = page < paper * 0.7
        for b in example.boxes:
            x0, y0 = int(b.xmin), int(b.ymin)
            x1, y1 = max(x0 + 1, round(b.xmax)), max(y0 + 1, round(b.ymax))
            crop = page[y0:y1, x0:x1]
            if crop.size:
                crop = np.clip(crop / max(float(np.percentile(crop, 95)), 1e-3), 0.0, 1.0)
                drop = (b.ymax - _baseline(ink, b, unit)) / unit
                glyphs[b.label].append(Glyph(b.label, crop, b.height / unit, drop))
        backgrounds.append(np.clip(paint_out_ink(page, paper) / paper, 0.0, 1.0))
    return glyphs, backgrounds


def tokens(words: list[str] | None, labels: list[str], rng: random.Random) -> Iterator[list[str]]:
    """Words as lists of labels: from a word list (longest labels first) or random."""
    by_length = sorted(labels, key=len, reverse=True)
    while True:
        if not words:
            yield [rng.choice(labels) for _ in range(rng.randint(2, 8))]
            continue
        word, units = rng.choice(words), []
        i = 0
        while i < len(word):
            unit = next((lab for lab in by_length if word.startswith(lab, i)), None)
            if unit is None:
                break
            units.append(unit)
            i += len(unit)
        if units and i == len(word):
            yield units


def _background(
    backgrounds: list[np.ndarray], size: tuple[int, int], rng: random.Random
) -> np.ndarray:
    w, h = size
    source = rng.choice(backgrounds)
    img = Image.fromarray((source * 255).astype(np.uint8), "L")
    if img.width >= w and img.height >= h:
        x, y = rng.randint(0, img.width - w), rng.randint(0, img.height - h)
        img = img.crop((x, y, x + w, y + h))
    else:
        img = img.resize((w, h), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


def _variant(glyph: Glyph, height: float, rng: random.Random) -> np.ndarray:
    """The glyph at ``height`` px, slightly rotated, bolder or thinner, its contrast changed."""
    h, w = glyph.ink.shape
    scale = height / max(h, 1)
    img = Image.fromarray((glyph.ink * 255).astype(np.uint8), "L")
    img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BICUBIC)
    if rng.random() < 0.5:
        img = img.rotate(rng.uniform(-3, 3), Image.BICUBIC, expand=True, fillcolor=255)
    if rng.random() < 0.3:
        img = img.filter(
            ImageFilter.MinFilter(3) if rng.random() < 0.5 else ImageFilter.MaxFilter(3)
        )
    ink = np.asarray(img, dtype=np.float32) / 255.0
    return np.clip(ink ** rng.uniform(0.7, 1.4), 0.0, 1.0)


def compose_page(
    glyphs: dict[str, list[Glyph]],
    backgrounds: list[np.ndarray],
    words: Iterator[list[str]],
    size: tuple[int, int],
    unit: float,
    rng: random.Random,
) -> tuple[np.ndarray, list[Box]]:
    """One page of lines of words; returns the page in [0, 1] and a box per glyph."""
    w, h = size
    page = _background(backgrounds, size, rng)
    margin = int(0.05 * w)
    pitch = unit * rng.uniform(1.8, 2.4)
    boxes: list[Box] = []
    baseline = margin + unit * 1.5
    while baseline + unit < h - margin:
        x = margin + rng.uniform(0, unit)
        jitter = 0.0
        while True:
            word = next(words)
            width = sum(unit * 0.8 for _ in word)
            if x + width > w - margin:
                break
            for label in word:
                glyph = rng.choice(glyphs[label])
                ink = _variant(glyph, glyph.height * unit * rng.uniform(0.92, 1.08), rng)
                gh, gw = ink.shape
                jitter = 0.7 * jitter + rng.uniform(-0.04, 0.04) * unit  # a baseline that wanders
                top = round(baseline + glyph.drop * unit + jitter - gh)
                left = round(x)
                if top < 0 or left + gw > w or top + gh > h:
                    continue
                region = page[top : top + gh, left : left + gw]
                page[top : top + gh, left : left + gw] = np.minimum(region, ink)
                dark = np.argwhere(ink < 0.75)
                if dark.size:
                    (y0, x0), (y1, x1) = dark.min(0), dark.max(0)
                    boxes.append(Box(left + x0, top + y0, left + x1 + 1, top + y1 + 1, label=label))
                x += gw + unit * rng.uniform(0.04, 0.14)
            x += unit * rng.uniform(0.3, 0.6)
        baseline += pitch
    return page, boxes


def synthesise(
    examples: list[Example],
    count: int,
    *,
    words: list[str] | None,
    alphabet: str | None,
    size: tuple[int, int],
    seed: int,
    name: str = "synth",
) -> Iterator[Example]:
    glyphs, backgrounds = cut_glyphs(examples)
    if not glyphs:
        raise ImagineError(
            "no marked glyphs to synthesise from", fix="mark a few glyphs in LabelImg"
        )
    labels = sorted(glyphs)
    if alphabet:
        missing = sorted(set(alphabet) - set(labels) - {" "})
        if missing:
            raise ImagineError(
                f"the alphabet has characters nobody marked: {''.join(missing)}",
                fix="mark at least one instance of each, or drop them",
            )
        labels = sorted(set(alphabet) - {" "})
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    units = [b.height for e in examples for b in e.boxes]
    base_unit = statistics.median(units) if units else 24.0
    stream = tokens(words, labels, rng)
    for index in range(count):
        unit = base_unit * rng.uniform(0.8, 1.25)
        page, boxes = compose_page(glyphs, backgrounds, stream, size, unit, rng)
        page, boxes = degrade(page, boxes, SCAN_STEPS, np_rng, strength=0.5, probability=0.5)
        buffer = io.BytesIO()
        Image.fromarray((page * 255).astype(np.uint8), "L").convert("RGB").save(
            buffer, format="PNG"
        )
        filename = f"{name}_{index:05d}.png"
        yield Example(
            image=buffer.getvalue(),
            width=size[0],
            height=size[1],
            boxes=boxes,
            source=filename,
            filename=filename,
        )


def read_words(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    try:
        return [w for w in path.read_text(encoding="utf-8").split() if w]
    except (OSError, UnicodeDecodeError) as exc:
        raise ImagineError(f"cannot read the word list: {exc}", where=str(path)) from None
