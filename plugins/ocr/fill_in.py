"""The characters a model does not know, read by the model it started from.

A few-shot model knows only the characters marked on one page; the rest of a document holds
others (a capital, a digit, a colon that page lacked: up to 6% of a page). No model of the
marks alone can read them. The shipped base model can, where the document's script is one
it knows. So a page is also read by that model (``ocr.fill_from``, which a run started from
a shipped model records), and each of its glyphs sure enough (at least ``low_confidence``)
whose character the reading model does not know, in a script the reading model knows (or
none: digits, punctuation; but only where the two models share a script of letters), joins
the page's glyphs under the page reader's own rule, one place, one character
(``suppress_overlaps``): it takes a place where the reading model found nothing, or found
only glyphs it was less sure of. Glyphs of the characters the reading model knows are never
changed: it has seen the document's own drawing of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagine_core.api import Glyph, ImagineError, err, shipped_folder, shipped_models
from imagine_plugins.ocr.scripts import script_of
from imagine_plugins.ocr.tiling import suppress_overlaps


def fill_in(
    mine: list[Glyph], theirs: list[Glyph], known: set[str], min_score: float,
    max_overlap: float = 0.5,
) -> tuple[list[Glyph], int]:  # fmt: skip
    """``mine`` with ``theirs``'s sure glyphs of characters ``known`` lacks filled in
    (``max_overlap``: the page reader's, ``ocr.max_overlap``); also the number filled in.
    ``mine`` come first, so a tie in score keeps the reading model's glyph."""
    scripts = {script_of(c) for c in known} | {None}
    offered = [
        g for g in theirs
        if g.char not in known and g.score >= min_score and script_of(g.char) in scripts
    ]  # fmt: skip
    kept = suppress_overlaps([*mine, *offered], max_overlap)
    ours = {id(g) for g in mine}
    return kept, sum(id(g) not in ours for g in kept)


@dataclass
class FillIn:
    """The model that fills in, ready to read: its own page reader (its own scale and
    tiles, from its own ``ocr`` settings) and the characters the reading model knows."""

    reader: Any
    detector: Any
    known: set[str]
    min_score: float
    max_overlap: float
    name: str

    def __call__(self, image: Any, glyphs: list[Glyph]) -> list[Glyph]:
        (theirs,) = self.reader.read(self.detector, [image])
        return fill_in(glyphs, theirs, self.known, self.min_score, self.max_overlap)[0]


def fill_in_for(settings: Any, names: list[str]) -> FillIn | None:
    """What fills in for a model reading with ``settings`` and knowing ``names``; None
    where ``ocr.fill_from`` is empty or its model knows no character to add in the
    reading model's scripts (then nothing is read twice)."""
    from imagine_core.api import get_plugins, instantiate, load_detector, model_config

    known = {n for n in names if n and n != "?"}
    if not settings.fill_from or not known:
        return None
    # a shipped model (whatever folder of that name the working directory holds) or a folder
    folder = shipped_folder(settings.fill_from) or Path(settings.fill_from).expanduser()
    if not folder.exists():
        err.print(
            f"[yellow]not filled in:[/] ocr.fill_from names {settings.fill_from!r}, which is "
            f"neither a shipped model ({', '.join(shipped_models()) or 'none installed'}) nor "
            "a folder; the characters this model does not know stay unread"
        )
        return None
    scripts = {script_of(c) for c in known} - {None}
    _, theirs = model_config(folder)
    if not scripts & {script_of(c) for c in theirs[1:]}:
        return None  # no script shared: its digits and punctuation would be guesses too
    if all(c in known or script_of(c) not in scripts | {None} for c in theirs[1:]):
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
    return FillIn(
        reader, detector, known, settings.low_confidence, settings.max_overlap,
        settings.fill_from,
    )  # fmt: skip
