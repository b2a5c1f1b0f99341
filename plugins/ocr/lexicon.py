"""A word list as a prior: a word read with uncertain glyphs becomes the listed word that
the model's own alternatives spell.

A glyph model confuses letters that look alike in a face (``e``/``c``, ``n``/``u``,
``l``/``i``/``t``), and at each place it also keeps its next choices
(``Glyph.alternatives``). Where a word as read is not in the user's word list, the
uncertain glyphs of it (scoring under ``ocr.low_confidence``) may take one of their
alternatives, at most ``MAX_CHANGES`` of them, if that spells a listed word; of several,
the one the model scored highest (the product of the chosen characters' scores, against
those read). Glyphs the model is sure of are never changed, and nothing is inserted or
removed: a word that no choice of alternatives spells stays as read.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from functools import lru_cache
from pathlib import Path

from imagine_core.api import Glyph, ImagineError, Word

MAX_CHANGES = 2  # glyphs of one word that may take an alternative
MAX_PLACES = 6  # uncertain glyphs of one word considered (3^6 spellings at most)


def _is_letter(char: str) -> bool:
    return any(unicodedata.category(c)[0] in "LM" for c in char)


def _core(text: str) -> str:
    """The word without the punctuation around it."""
    start, end = 0, len(text)
    while start < end and not _is_letter(text[start]):
        start += 1
    while end > start and not _is_letter(text[end - 1]):
        end -= 1
    return text[start:end]


class Lexicon:
    """The words of a list, compared without case (``The`` is ``the``)."""

    def __init__(self, words: set[str]):
        self.words = words

    def __contains__(self, word: str) -> bool:
        return word.casefold() in self.words

    @classmethod
    def read(cls, path: str | Path) -> Lexicon:
        file = Path(path).expanduser()
        if not file.is_file():
            raise ImagineError(
                f"word list {file} is not a file",
                where="ocr.words (--words)",
                fix="give a UTF-8 text file of words (any layout: words are what spaces "
                "separate, punctuation around them left out)",
            )
        return _read(str(file.resolve()), file.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _read(path: str, _mtime: int) -> Lexicon:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ImagineError(
            f"word list {path} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            where="ocr.words (--words)",
            fix="save it as UTF-8",
        ) from None
    words = {_core(w).casefold() for w in text.split()}
    return Lexicon({w for w in words if w})


def _letters(glyphs: list[Glyph]) -> range:
    """Indices of the word's glyphs from its first letter to its last."""
    at = [i for i, g in enumerate(glyphs) if _is_letter(g.char)]
    return range(at[0], at[-1] + 1) if at else range(0)


def _choices(glyph: Glyph) -> list[tuple[str, float]]:
    """The glyph as read, then its other alternatives (letters only)."""
    others = [(c, s) for c, s in glyph.alternatives if c != glyph.char and _is_letter(c) and s > 0]
    return [(glyph.char, glyph.score), *others]


def spelled(word: Word, lexicon: Lexicon, sure: float) -> Word:
    """``word`` with the alternatives of its uncertain glyphs that spell a listed word
    (the best-scored such spelling), or as read. Changes glyphs in place."""
    glyphs = word.glyphs
    span = _letters(glyphs)
    if not span or "".join(glyphs[i].char for i in span) in lexicon:
        return word
    places = [i for i in span if glyphs[i].score < sure and len(_choices(glyphs[i])) > 1]
    places = sorted(places, key=lambda i: glyphs[i].score)[:MAX_PLACES]
    best: tuple[float, tuple[tuple[str, float], ...]] | None = None
    for picks in itertools.product(*(_choices(glyphs[i]) for i in places)):
        changed = [(i, pick) for i, pick in zip(places, picks, strict=True)
                   if pick[0] != glyphs[i].char]  # fmt: skip
        if not changed or len(changed) > MAX_CHANGES:
            continue
        chars = {i: pick[0] for i, pick in changed}
        text = "".join(chars.get(i, glyphs[i].char) for i in span)
        if text not in lexicon:
            continue
        gain = sum(math.log(pick[1] / glyphs[i].score) for i, pick in changed)
        if best is None or gain > best[0]:
            best = (gain, tuple(changed))
    if best is not None:
        for i, (char, score) in best[1]:
            glyphs[i].char, glyphs[i].score = char, score
    return word
