"""Few-shot synthesis: many training pages from a few marked glyphs.

Each marked glyph's own ink is cut out (a mask, not its box: see ``marks``) with
where it sits on its line (descenders below the baseline, apostrophes above); pages
are composed from words laid out with the marked page's own letter gaps (touching
where its letters touch), word gaps and line pitch, glyphs scaled, now and then
slightly rotated, thickened or thinned, on backgrounds cut from the user's own pages
with the ink painted out, and lightly degraded like scans. The marked pages join the
training set themselves, everything unmarked on them an ignore region.
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

from imagine_core.api import Box, Example, ImagineError
from imagine_plugins.datatools.demo.degrade import degrade
from imagine_plugins.datatools.marks import (
    Glyph,
    MarkedPage,
    Spacing,
    box_within,
    ignore_regions,
    read_marked,
)

SCAN_STEPS = ["lighting", "blur", "noise", "jpeg"]


def paint_out_ink(page: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """The page with all its ink (marked or not) replaced by the paper around it.

    Normalised convolution: a blur of the paper pixels divided by a blur of the
    paper mask fills every inked spot from its surroundings, keeping the page's
    lighting and stains but no text.
    """
    grown = Image.fromarray((ink * 255).astype(np.uint8), "L").filter(ImageFilter.MaxFilter(5))
    keep = 1.0 - np.asarray(grown, dtype=np.float32) / 255.0

    def blurred(values: np.ndarray) -> np.ndarray:
        img = Image.fromarray(np.clip(values * 255.0, 0, 255).astype(np.uint8), "L")
        return np.asarray(img.filter(ImageFilter.GaussianBlur(12)), dtype=np.float32) / 255.0

    paper = float(np.median(page[keep > 0])) if (keep > 0).any() else 1.0
    filled = blurred(page * keep) / np.maximum(blurred(keep), 1e-3)
    filled = np.where(blurred(keep) > 0.02, filled, paper)
    return np.where(keep > 0, page, np.clip(filled, 0.0, 1.0))


@dataclass
class Source:
    """What composition draws from: glyphs by label, backgrounds, the pages' spacing."""

    glyphs: dict[str, list[Glyph]]
    backgrounds: list[np.ndarray]
    spacing: list[Spacing]
    unit: float
    faint: list[str]
    pages: list[MarkedPage]  # each marked page as read, in the order of the examples


def read_sources(examples: list[Example]) -> Source:
    glyphs: dict[str, list[Glyph]] = defaultdict(list)
    backgrounds, spacing, units, faint, pages = [], [], [], [], []
    for example in examples:
        page = read_marked(example)
        pages.append(page)
        for glyph in page.glyphs:
            glyphs[glyph.label].append(glyph)
        backgrounds.append(np.clip(paint_out_ink(page.grey, page.ink) / page.paper, 0.0, 1.0))
        spacing.append(page.spacing)
        units.append(page.unit)
        faint += [f"{example.source}: {label!r}" for label in page.faint]
    unit = statistics.median(units) if units else 24.0
    return Source(dict(glyphs), backgrounds, spacing, unit, faint, pages)


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


def _variant(glyph: Glyph, scale: float, rng: random.Random) -> np.ndarray:
    """The glyph's ink scaled, now and then slightly rotated, bolder or thinner, its
    contrast changed."""
    h, w = glyph.ink.shape
    img = Image.fromarray((glyph.ink * 255).astype(np.uint8), "L")
    img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BICUBIC)
    if rng.random() < 0.3:
        img = img.rotate(rng.uniform(-2, 2), Image.BICUBIC, expand=True, fillcolor=255)
    if rng.random() < 0.2:
        img = img.filter(
            ImageFilter.MinFilter(3) if rng.random() < 0.5 else ImageFilter.MaxFilter(3)
        )
    ink = np.asarray(img, dtype=np.float32) / 255.0
    return np.clip(ink ** rng.uniform(0.8, 1.25), 0.0, 1.0)


def _letter_gap(spacing: Spacing, rng: random.Random) -> float:
    if rng.random() < spacing.touching:
        return -rng.uniform(0.0, 0.04)  # touching, as the page's letters do
    return rng.choice(spacing.letter_gaps) * rng.uniform(0.85, 1.15)


def _paste(page: np.ndarray, ink: np.ndarray, left: int, top: int) -> bool:
    gh, gw = ink.shape
    h, w = page.shape
    if top < 0 or left < 0 or left + gw > w or top + gh > h:
        return False
    region = page[top : top + gh, left : left + gw]
    page[top : top + gh, left : left + gw] = np.minimum(region, ink)
    return True


def compose_page(
    source: Source,
    words: Iterator[list[str]],
    size: tuple[int, int],
    unit: float,
    rng: random.Random,
) -> tuple[np.ndarray, list[Box]]:
    """One page of lines of words, spaced like one of the marked pages; returns the page
    in [0, 1] and a box per glyph, drawn around its ink as the user's marks were."""
    w, h = size
    page = _background(source.backgrounds, size, rng)
    spacing = rng.choice(source.spacing)
    scale = unit / source.unit
    margin = int(0.04 * w)
    pitch = unit * spacing.pitch * rng.uniform(0.95, 1.05)
    boxes: list[Box] = []
    baseline = margin + unit * 1.2
    while baseline + 0.5 * unit < h - margin:
        x = margin + rng.uniform(0, 2 * unit)
        jitter = 0.0
        while x < w - margin - unit:
            gap = 0.0
            for label in next(words):
                glyph = rng.choice(source.glyphs[label])
                ink = _variant(glyph, scale * rng.uniform(0.96, 1.04), rng)
                gh, gw = ink.shape
                jitter = 0.7 * jitter + rng.uniform(-0.02, 0.02) * unit  # a wandering baseline
                top = round(baseline + glyph.drop * unit + jitter - gh)
                left = round(x)
                if not _paste(page, ink, left, top):
                    break
                pl, pt, pr, pb = (v * unit for v in glyph.pad)
                corners = (left - pl, top - pt, left + gw + pr, top + gh + pb)
                boxes.append(box_within(corners, (w, h), label))
                gap = _letter_gap(spacing, rng) * unit
                x += gw + gap
            # The word gap replaces the letter gap after the word's last glyph.
            x += (rng.choice(spacing.word_gaps) * rng.uniform(0.85, 1.15)) * unit - gap
        baseline += pitch
    return page, boxes


def _png(page: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray((np.clip(page, 0, 1) * 255).astype(np.uint8), "L").convert("RGB").save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


def labels_for(source: Source, alphabet: str | None) -> list[str]:
    if not source.glyphs:
        raise ImagineError(
            "no marked glyphs to synthesise from", fix="mark a few glyphs in LabelImg"
        )
    labels = sorted(source.glyphs)
    if alphabet:
        missing = sorted(set(alphabet) - set(labels) - {" "})
        if missing:
            raise ImagineError(
                f"the alphabet has characters nobody marked: {''.join(missing)}",
                fix="mark at least one instance of each, or drop them",
            )
        labels = sorted(set(alphabet) - {" "})
    return labels


def synthesise(
    source: Source,
    count: int,
    *,
    words: list[str] | None,
    alphabet: str | None,
    size: tuple[int, int],
    seed: int,
    name: str = "synth",
) -> Iterator[Example]:
    """``count`` composed pages; the same seed gives the same pages."""
    labels = labels_for(source, alphabet)
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    stream = tokens(words, labels, rng)
    for index in range(count):
        unit = source.unit * rng.uniform(0.85, 1.18)
        page, boxes = compose_page(source, stream, size, unit, rng)
        page, boxes = degrade(page, boxes, SCAN_STEPS, np_rng, strength=0.4, probability=0.4)
        filename = f"{name}_{index:05d}.png"
        yield Example(
            image=_png(page),
            width=size[0],
            height=size[1],
            boxes=boxes,
            source=filename,
            filename=filename,
        )


def marked_pages(examples: list[Example], source: Source, copies: int) -> Iterator[Example]:
    """The marked pages themselves (as ``source`` read them), for training, each ``copies``
    times: the user's boxes and, around every glyph nobody marked, an ignore region."""
    for example, page in zip(examples, source.pages, strict=True):
        marks = [b for b in example.boxes if not b.ignore]
        boxes = marks + [b for b in example.boxes if b.ignore] + ignore_regions(page, marks)
        stem = Path(example.name).stem
        data = example.image_bytes()
        if isinstance(example.image, Path):
            suffix = example.image.suffix
        else:
            suffix = ".jpg" if data.startswith(b"\xff\xd8") else ".png"
        for copy in range(copies):
            filename = f"marked_{stem}_{copy:02d}{suffix}"
            yield Example(
                image=data,
                width=example.width,
                height=example.height,
                boxes=boxes,
                source=example.source,
                filename=filename,
            )


def preview(examples: list[Example], folder: Path) -> list[Path]:
    """Pages with their boxes drawn: glyphs in blue, ignore regions in orange."""
    from PIL import ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for example in examples:
        with Image.open(io.BytesIO(example.image_bytes())) as img:
            drawn = img.convert("RGB")
        draw = ImageDraw.Draw(drawn)
        for box in example.boxes:
            colour = (255, 140, 0) if box.ignore else (30, 90, 255)
            draw.rectangle((box.xmin, box.ymin, box.xmax, box.ymax), outline=colour)
        target = folder / f"{Path(example.name).stem}.preview.png"
        drawn.save(target)
        written.append(target)
    return written


def read_words(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    try:
        return [w for w in path.read_text(encoding="utf-8").split() if w]
    except (OSError, UnicodeDecodeError) as exc:
        raise ImagineError(f"cannot read the word list: {exc}", where=str(path)) from None
