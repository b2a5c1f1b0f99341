"""Set running text on pages, glyph by glyph, and keep each glyph's exact ink box."""

from __future__ import annotations

import importlib.resources
import io
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image, ImageDraw

from imagine_core.api import Box, Example, normalise
from imagine_plugins.datatools.demo.degrade import STEPS, degrade
from imagine_plugins.datatools.demo.dress import dressed
from imagine_plugins.datatools.demo.fonts import default_font, load_font
from imagine_plugins.datatools.demo.scripts import covers, draws, in_script


@dataclass
class PageStyle:
    """How demo pages look; every field is an option of ``imagine data demo``."""

    width: int = 768
    height: int = 1024
    font: str = ""  # .ttf/.otf paths, comma-separated; empty: DejaVu Serif (or Pillow's)
    min_size: int = 18
    max_size: int = 28
    line_spacing: float = 1.5
    columns: int = 1
    degradations: list[str] = field(default_factory=lambda: list(STEPS))
    strength: float = 0.7
    scripts: str = "latin"  # comma-separated: latin, latin-old, greek, cyrillic
    capitals: float = 0.0  # share of words set in capitals (in runs)
    extras: float = 0.0  # share of words given digits, brackets, quotes, signs, accents

    def faces(self) -> list[tuple[str, str]]:
        """Every (font, script) pair a page may be set in: the font draws the script."""
        fonts = [f.strip() for f in self.font.split(",") if f.strip()] or [default_font()]
        scripts = [s.strip() for s in self.scripts.split(",") if s.strip()]
        return [(f, s) for f in fonts for s in scripts if s == "latin" or covers(f, s)]


def corpus_text() -> str:
    """The public-domain texts shipped with the plugin, as one stream of paragraphs."""
    folder = importlib.resources.files("imagine_plugins.datatools.demo") / "texts"
    texts = sorted(p for p in folder.iterdir() if p.name.endswith(".txt"))
    return "\n\n".join(normalise(p.read_text(encoding="utf-8")).strip() for p in texts)


def _words(text: str, start: int) -> Iterator[str]:
    """Words (and paragraph breaks, as '\\n') from ``start``, cycling through the text."""
    paragraphs = [p.split() for p in text.split("\n\n") if p.strip()]
    flat = [w for p in paragraphs for w in [*p, "\n"]]
    i = start % len(flat)
    while True:
        yield flat[i]
        i = (i + 1) % len(flat)


def _lines(
    words: Iterator[str], font, width: float, count: int, capitals: Iterator[bool]
) -> list[str]:
    """``count`` lines of running text that fit ``width``; each word set in capitals
    when ``capitals`` says so (measured as set, capitals being wider)."""
    lines: list[str] = []
    current = ""
    while len(lines) < count:
        raw = next(words)
        if raw == "\n":
            if current:
                lines.append(current)
                current = ""
            continue
        word = raw.upper() if next(capitals) else raw
        candidate = f"{current} {word}" if current else word
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return lines


CAPITALS_RUN = 40  # words in a run of capitals, on average: a heading, a clause, a title


def _capitals(share: float, rng: np.random.Generator) -> Iterator[bool]:
    """Whether each next word is set in capitals: in runs of about ``CAPITALS_RUN``
    words that begin and end anywhere in a line, ``share`` of the words in all. Runs, not
    single lines among running text, because a tile of a page set wholly in capitals
    shows no small letter to tell the capitals by: a model that only ever saw capitals
    beside small letters read such pages' capitals as small letters (``E`` as ``e``).
    Draws nothing when none are asked, so that pages without capitals stay the pages
    they were."""
    if share <= 0 or share >= 1:
        while True:
            yield share >= 1
    leave = 1 / CAPITALS_RUN
    enter = min(1.0, share / (1 - share) * leave)
    upper = bool(rng.random() < share)
    while True:
        yield upper
        upper = bool(rng.random() >= leave) if upper else bool(rng.random() < enter)


def _page_words(text: str, start: int, style: PageStyle, rng: np.random.Generator) -> Iterator[str]:
    """The text's words from ``start`` in the page's script, ``style.extras`` of them
    dressed as running print dresses words (``dress.py``)."""
    accents = style.scripts in ("latin", "latin-old")
    font = style.font or default_font()
    for word in _words(text, start):
        if word == "\n":
            yield word
            continue
        yield dressed(in_script(word, style.scripts), style.extras, rng, accents,
                      lambda found: all(draws(font, ch) for ch in found))  # fmt: skip


def render_page(
    text: str, start: int, style: PageStyle, rng: np.random.Generator
) -> tuple[bytes, list[Box], str]:
    """One page: PNG bytes, a box per glyph (whitespace is not a glyph) and its text."""
    size = int(rng.integers(style.min_size, style.max_size + 1))
    font = load_font(style.font or default_font(), size)
    margin = int(style.width * 0.06)
    gutter = int(style.width * 0.04)
    column_width = (style.width - 2 * margin - gutter * (style.columns - 1)) / style.columns
    ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (size, size // 4)
    pitch = int((ascent + descent) * style.line_spacing)
    per_column = max(1, (style.height - 2 * margin) // pitch)
    words = _page_words(text, start, style, rng)
    page = Image.new("L", (style.width, style.height), 255)
    draw = ImageDraw.Draw(page)
    ink = int(rng.integers(0, 60))
    boxes: list[Box] = []
    text_lines: list[str] = []
    for column in range(style.columns):
        x0 = margin + column * (column_width + gutter)
        lines = _lines(words, font, column_width, per_column, _capitals(style.capitals, rng))
        for row, line in enumerate(lines):
            baseline = margin + row * pitch + ascent
            x = float(x0)
            for ch in line:
                if not ch.isspace():
                    left, top, right, bottom = font.getbbox(ch, anchor="ls")
                    if right > left and bottom > top:
                        draw.text((x, baseline), ch, font=font, fill=ink, anchor="ls")
                        boxes.append(
                            Box(x + left, baseline + top, x + right, baseline + bottom, label=ch)
                        )
                x += font.getlength(ch)
            text_lines.append(line)
    array = np.asarray(page, dtype=np.float32) / 255.0
    array, boxes = degrade(array, boxes, style.degradations, rng, style.strength)
    rgb = Image.fromarray((array * 255).astype(np.uint8), "L").convert("RGB")
    buffer = io.BytesIO()
    rgb.save(buffer, format="PNG")
    return buffer.getvalue(), _clip(boxes, style), "\n".join(text_lines)


def _clip(boxes: list[Box], style: PageStyle) -> list[Box]:
    kept = []
    for b in boxes:
        box = Box(
            max(0.0, b.xmin),
            max(0.0, b.ymin),
            min(float(style.width), b.xmax),
            min(float(style.height), b.ymax),
            label=b.label,
        )
        if box.width > 1 and box.height > 1:
            kept.append(box)
    return kept


def demo_pages(count: int, style: PageStyle, seed: int, name: str) -> Iterator[tuple[Example, str]]:
    """``count`` pages, each with its ground-truth text; the same seed gives the same pages."""
    text = corpus_text()
    rng = np.random.default_rng(seed)
    faces = page_faces(count, style, seed)
    for index in range(count):
        start = int(rng.integers(0, len(text.split())))
        font, script = faces[index]
        page_style = replace(style, font=font, scripts=script)
        data, boxes, page_text = render_page(text, start, page_style, rng)
        filename = f"{name}_{index:04d}.png"
        yield (
            Example(
                image=data,
                width=style.width,
                height=style.height,
                boxes=boxes,
                source=filename,
                filename=filename,
            ),
            page_text,
        )


def page_faces(count: int, style: PageStyle, seed: int) -> list[tuple[str, str]]:
    """The font and script of each of ``count`` pages: chosen in turn from a shuffled
    list of the pairs (each pair as often as the others), by a generator of their own, so
    that a one-face corpus is the same pages as before faces could be mixed."""
    pairs = style.faces()
    if len(pairs) == 1:
        return pairs * count
    order = np.random.default_rng([seed, 1]).permutation(len(pairs))
    return [pairs[order[i % len(pairs)]] for i in range(count)]
