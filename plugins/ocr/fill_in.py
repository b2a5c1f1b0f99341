"""The characters a model does not know, read by the model it started from.

A few-shot model knows only the characters marked on one page; the rest of a document holds
others (a capital, a digit, a colon that page lacked: up to 6% of a page). No model of the
marks alone can read them. The shipped base model can, where the document's script is one
it knows. So a page is also read by that model (``ocr.fill_from``, which a run started from
a shipped model records), and each of its glyphs sure enough (at least ``low_confidence``)
whose character the reading model does not know, in a script the reading model knows (or
none: digits, punctuation; but only where the two models share a script of letters), takes
its place on the page: where the reading model found nothing, or found only glyphs it was
less sure of than the base model is of this one.
Glyphs of the characters the reading model knows are never changed: it has seen the
document's own drawing of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagine_core.api import Glyph, ImagineError, err, get_plugins, make, shipped_models

COVERED = 0.5  # a glyph covering this share of the smaller box stands at the same place


def _script(char: str) -> str | None:
    from imagine_plugins.ocr.scripts import script_of

    return script_of(char)


def covered(a: Glyph, b: Glyph) -> float:
    """The share of the smaller of the two boxes that both cover."""
    width = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
    height = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    if width <= 0 or height <= 0:
        return 0.0
    area = min((g.box[2] - g.box[0]) * (g.box[3] - g.box[1]) for g in (a, b))
    return width * height / max(area, 1e-9)


def fill_in(
    mine: list[Glyph], theirs: list[Glyph], known: set[str], min_score: float
) -> tuple[list[Glyph], int]:
    """``mine`` with ``theirs``'s sure glyphs of characters ``known`` lacks filled in;
    also the number filled in."""
    scripts = {_script(c) for c in known} | {None}
    glyphs, filled = list(mine), 0
    for glyph in sorted(theirs, key=lambda g: -g.score):
        if glyph.char in known or glyph.score < min_score or _script(glyph.char) not in scripts:
            continue
        there = [g for g in glyphs if covered(g, glyph) > COVERED]
        if all(g.score < glyph.score for g in there):
            glyphs = [g for g in glyphs if g not in there] + [glyph]
            filled += 1
    return glyphs, filled


@dataclass
class FillIn:
    """The model that fills in, ready to read: its own page reader (its own scale and
    tiles, from its own ``ocr`` settings) and the characters the reading model knows."""

    reader: Any
    detector: Any
    known: set[str]
    min_score: float
    name: str

    def __call__(self, image: Any, glyphs: list[Glyph]) -> list[Glyph]:
        (theirs,) = self.reader.read(self.detector, [image])
        return fill_in(glyphs, theirs, self.known, self.min_score)[0]


def fill_model(name: str) -> Path:
    """The folder ``ocr.fill_from`` names: a shipped model (whatever folder of that name the
    working directory holds) or a model folder."""
    if name in shipped_models():
        return Path(make(get_plugins().registry.get("trained_model", name)).folder())
    return Path(name).expanduser()


def fill_in_for(settings: Any, names: list[str]) -> FillIn | None:
    """What fills in for a model reading with ``settings`` and knowing ``names``; None
    where ``ocr.fill_from`` is empty or its model knows no character to add in the
    reading model's scripts (then nothing is read twice)."""
    from imagine_core.api import instantiate, load_detector, model_config

    known = {n for n in names if n and n != "?"}
    if not settings.fill_from or not known:
        return None
    folder = fill_model(settings.fill_from)
    if not folder.exists():
        err.print(
            f"[yellow]not filled in:[/] ocr.fill_from names {settings.fill_from!r}, which is "
            f"neither a shipped model ({', '.join(shipped_models()) or 'none installed'}) nor "
            "a folder; the characters this model does not know stay unread"
        )
        return None
    scripts = {_script(c) for c in known} - {None}
    _, theirs = model_config(folder)
    if not scripts & {_script(c) for c in theirs[1:]}:
        return None  # no script shared: its digits and punctuation would be guesses too
    if all(c in known or _script(c) not in scripts | {None} for c in theirs[1:]):
        return None
    pipeline, detector = load_detector(folder)
    own = type(pipeline.ocr)()
    own.CopyFrom(pipeline.ocr)
    for shared in ("batch_size", "direction"):
        setattr(own, shared, getattr(settings, shared))
    registry = get_plugins().registry
    record = registry.get("page_reader", own.page_reader, where=f"{folder}: ocr.page_reader")
    try:
        reader = instantiate(record, own, None)
    except ImagineError as exc:
        raise ImagineError(f"the model ocr.fill_from names cannot read: {exc}") from exc
    return FillIn(reader, detector, known, settings.low_confidence, settings.fill_from)
