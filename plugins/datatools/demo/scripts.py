"""The demo text in other scripts, and which faces can set them.

A glyph detector that is to read Greek or Cyrillic print needs pages of it; the shipped
texts are Latin. Letter by letter transliteration gives words of real lengths and letter
frequencies in the other alphabet (no language: a detector reads glyphs, not words).
``latin-old`` sets the long s of older print where it stood (not at a word's end).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from imagine_core.api import ImagineError

_GREEK = dict(zip("abcdefghijklmnopqrstuvwxyz", "αβξδεφγηιςκλμνοπθρστυωψχυζ", strict=True))
# Digraphs first, so that the letters Latin has no single letter for occur too.
_CYRILLIC_PAIRS = {"ch": "ч", "sh": "ш", "th": "э", "ya": "я", "yo": "ё", "yu": "ю", "ck": "ъ"}
_CYRILLIC = dict(zip("abcdefghijklmnopqrstuvwxyz", "абцдефгхийклмнопьрстувщжыз", strict=True))

SCRIPTS = ("latin", "latin-old", "greek", "cyrillic")
MISSING = "\U000f0000"  # a private-use code point no text face draws: its .notdef glyph


def _cased(table: dict[str, str]) -> dict[str, str]:
    return {**table, **{k.upper(): v.upper() for k, v in table.items() if len(k) == 1}}


def in_script(word: str, script: str) -> str:
    """One word of the Latin text as ``script`` writes it."""
    if script == "latin":
        return word
    if script == "latin-old":  # long s inside words, round s at their end
        return re.sub(r"s(?=[a-z])", "ſ", word)
    if script == "greek":
        table = _cased(_GREEK)
        return "".join(table.get(ch, ch) for ch in word)
    if script == "cyrillic":
        for pair, letter in _CYRILLIC_PAIRS.items():
            word = word.replace(pair, letter).replace(pair.capitalize(), letter.upper())
        table = _cased(_CYRILLIC)
        return "".join(table.get(ch, ch) for ch in word)
    raise ImagineError(f"unknown script {script!r}", fix=f"choose from {', '.join(SCRIPTS)}")


def letters(script: str) -> str:
    """The letters a face must draw to set ``script``."""
    latin = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    pairs = list(_CYRILLIC_PAIRS) if script == "cyrillic" else []
    found = {in_script(word, script) for word in [*latin, "ast", *pairs]}
    return "".join(sorted({ch for word in found for ch in word}))


@lru_cache(maxsize=256)
def covers(font: str, script: str) -> bool:
    """Whether the face draws every letter of ``script`` (none is its .notdef box)."""
    return all(draws(font, ch) for ch in letters(script))


@lru_cache(maxsize=65536)
def _mask(font: str, ch: str) -> tuple:
    """What the face draws for ``ch`` at 24 px: its size and pixels."""
    from imagine_plugins.datatools.demo.fonts import load_font

    mask = load_font(font, 24).getmask(ch)
    return mask.size, bytes(np.asarray(mask))


def draws(font: str, ch: str) -> bool:
    """Whether the face draws ``ch`` (spaces: always), not its .notdef box."""
    return ch.isspace() or _mask(font, ch) != _mask(font, MISSING)
