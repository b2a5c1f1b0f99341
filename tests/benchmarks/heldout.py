"""The held-out documents of bench_fewshot: pages this project's own renderers never make.

Nothing here shares code with ``imagine data demo`` or ``imagine data synth``: the text is
Debian's copy of the GPL-3 (not the demo corpus), each line gets its own ink (grey level,
some lines spread a pixel), the page its own paper tone, size, line pitch, rotation (up to
1°), blur, noise and JPEG quality. Scripts that no Tesseract model covers (Runic, Gothic,
Glagolitic, Old Italic) carry the text letter by letter, as do Greek and Georgian; so their
words have real lengths and letter frequencies but are no language.

Fonts come from Debian's packages: ``apt-get install fonts-blankenburg fonts-kaushanscript
fonts-gfs-complutum fonts-noto-core fonts-noto-extra``. Never tune anything on these.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = Path("/usr/share/fonts")
TEXT = Path("/usr/share/common-licenses/GPL-3")
LOWER = "abcdefghijklmnopqrstuvwxyz"


def _block(start: int, upper: int | None = None) -> dict[str, str]:
    """a-z onto 26 letters of a Unicode block from ``start`` (A-Z onto ``upper``'s, or
    onto the same letters where the script has no case)."""
    letters = {ch: chr(start + i) for i, ch in enumerate(LOWER)}
    capitals = {ch.upper(): chr((upper or start) + i) for i, ch in enumerate(LOWER)}
    return letters | capitals


# Elder Futhark has 24 runes: c/k, q/k and x/ks share theirs, as in transliterations.
RUNES = dict(zip(LOWER, "ᚨᛒᚲᛞᛖᚠᚷᚺᛁᛃᚲᛚᛗᚾᛟᛈᚲᚱᛊᛏᚢᚹᚹᛉᛇᛉ", strict=True))
GREEK = dict(zip(LOWER, "αβξδεφγηιςκλμνοπθρστυωψχυζ", strict=True))
GEORGIAN = dict(zip(LOWER, "აბცდეფგჰიჯკლმნოპქრსტუვწხყზ", strict=True))


@dataclass
class Document:
    """One document: its face and script, and how its pages were made."""

    name: str
    font: str  # below /usr/share/fonts
    size: int  # px, the body size given to the font
    tesseract: str  # Tesseract's best stock model for it ("eng" where none fits)
    width: int
    height: int
    pitch: float  # line pitch as a multiple of the size
    rotation: float  # degrees
    blur: float  # Gaussian radius, px
    noise: float  # standard deviation, in units of full scale
    quality: int  # JPEG quality the page went through
    letters: dict[str, str] = field(default_factory=dict)  # transliteration
    letters_only: bool = False  # the script's letters only: no Latin digits or punctuation
    caseless: bool = False


DOCUMENTS = [
    Document("blackletter", "truetype/blankenburg/Blankenburg_UNZ1A.ttf", 34, "frk",
             1100, 1500, 1.6, 0.6, 0.8, 0.04, 80),
    Document("script", "opentype/kaushanscript/KaushanScript-Regular.otf", 26, "eng",
             900, 1200, 1.35, -0.4, 0.5, 0.06, 70),
    Document("runic", "truetype/noto/NotoSansRunic-Regular.ttf", 30, "eng",
             1000, 1300, 1.8, 1.0, 1.0, 0.03, 85, RUNES, True, True),
    Document("gothic", "truetype/noto/NotoSansGothic-Regular.ttf", 24, "eng",
             800, 1100, 1.5, -0.8, 0.3, 0.08, 75, _block(0x10330), True, True),
    Document("glagolitic", "truetype/noto/NotoSansGlagolitic-Regular.ttf", 38, "eng",
             1200, 1600, 1.45, 0.3, 1.3, 0.05, 65, _block(0x2C30, 0x2C00), True),
    Document("olditalic", "truetype/noto/NotoSansOldItalic-Regular.ttf", 28, "eng",
             1000, 1000, 1.7, -1.0, 0.6, 0.02, 90, _block(0x10300), True, True),
    Document("georgian", "truetype/noto/NotoSerifGeorgian-Regular.ttf", 22, "kat",
             900, 1300, 1.5, 0.5, 0.4, 0.05, 80, GEORGIAN, False, True),
    Document("greek", "opentype/complutum/GFSPolyglot.otf", 40, "grc",
             1300, 1700, 1.4, -0.2, 1.5, 0.03, 70,
             GREEK | {k.upper(): v.upper() for k, v in GREEK.items()}),
]  # fmt: skip


def words(doc: Document) -> list[str]:
    """The GPL-3's words as the document writes them, in the characters its face has."""
    from fontTools.ttLib import TTFont

    covered = TTFont(str(FONTS / doc.font), fontNumber=0).getBestCmap()
    text = re.sub(r"\s+", " ", TEXT.read_text(encoding="utf-8"))
    out = []
    for word in text.split(" "):
        if doc.caseless:
            word = word.lower()
        if doc.letters_only:
            word = "".join(ch for ch in word if ch.isalpha() and ch.isascii())
        word = "".join(doc.letters.get(ch, ch) for ch in word)
        word = "".join(ch for ch in word if ord(ch) in covered)
        if word:
            out.append(word)
    return out


def _lines(all_words: list[str], start: int, font, width: float, count: int) -> list[str]:
    """Greedy line filling, written here again on purpose: nothing of these pages may
    come from imagine's own renderers (plugins/datatools/demo/render.py)."""
    lines, current, i = [], "", start
    while len(lines) < count:
        word = all_words[i % len(all_words)]
        candidate = f"{current} {word}" if current else word
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
        i += 1
    return lines


def _paper(doc: Document, rng: np.random.Generator) -> Image.Image:
    """A paper tone that drifts slowly across the page."""
    tone = rng.uniform(225, 250)
    field_ = rng.normal(0, 6, (8, 8)).astype(np.float32)
    drift = Image.fromarray(field_, "F").resize((doc.width, doc.height), Image.BICUBIC)
    return Image.fromarray(np.clip(tone + np.asarray(drift), 0, 255).astype(np.uint8), "L")


def _rotated(boxes: list[tuple], doc: Document) -> list[tuple]:
    """Boxes after PIL's rotate(doc.rotation) about the page centre: the box around the
    turned corners."""
    angle = math.radians(doc.rotation)
    cx, cy = doc.width / 2, doc.height / 2
    cos, sin = math.cos(angle), math.sin(angle)
    turned = []
    for x0, y0, x1, y1, label in boxes:
        xs, ys = [], []
        for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
            # PIL turns counter-clockwise on screen (y down).
            xs.append(cx + (x - cx) * cos + (y - cy) * sin)
            ys.append(cy - (x - cx) * sin + (y - cy) * cos)
        turned.append((min(xs), min(ys), max(xs), max(ys), label))
    return turned


def render_page(doc: Document, index: int, seed: int) -> tuple[bytes, list[tuple], str]:
    """Page ``index``: PNG bytes, (xmin, ymin, xmax, ymax, char) per glyph, its text."""
    rng = np.random.default_rng([seed, index])
    font = ImageFont.truetype(str(FONTS / doc.font), doc.size)
    margin = int(doc.width * rng.uniform(0.05, 0.09))
    pitch = int(doc.size * doc.pitch)
    count = (doc.height - 2 * margin) // pitch
    all_words = words(doc)
    start = int(rng.integers(0, len(all_words)))
    lines = _lines(all_words, start, font, doc.width - 2 * margin, count)
    page = _paper(doc, rng)
    draw = ImageDraw.Draw(page)
    boxes = []
    for row, line in enumerate(lines):
        ink = int(rng.uniform(0, 100))
        spread = int(doc.size >= 28 and rng.random() < 0.25)
        baseline = margin + row * pitch + doc.size
        x = float(margin)
        for ch in line:
            left, top, right, bottom = font.getbbox(ch, anchor="ls")
            if not ch.isspace() and right > left and bottom > top:
                draw.text((x, baseline), ch, font=font, fill=ink, anchor="ls", stroke_width=spread,
                          stroke_fill=ink)  # fmt: skip
                boxes.append((x + left - spread, baseline + top - spread,
                              x + right + spread, baseline + bottom + spread, ch))  # fmt: skip
            x += font.getlength(ch)
    fill = int(np.asarray(page).mean())
    page = page.rotate(doc.rotation, resample=Image.BICUBIC, fillcolor=fill)
    page = page.filter(ImageFilter.GaussianBlur(doc.blur))
    array = np.asarray(page, np.float32) + rng.normal(0, 255 * doc.noise, (doc.height, doc.width))
    page = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), "L")
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", quality=doc.quality)
    png = io.BytesIO()
    Image.open(buffer).convert("RGB").save(png, format="PNG")
    return png.getvalue(), _rotated(boxes, doc), "\n".join(lines)


def unseen_floor(marked_text: str, truth: str) -> float:
    """The share of a page's characters (spaces included, as CER counts them) that never
    occur on the marked page: no model trained on its marks alone can read them."""
    known = set(marked_text)
    return sum(ch not in known and not ch.isspace() for ch in truth) / max(len(truth), 1)
