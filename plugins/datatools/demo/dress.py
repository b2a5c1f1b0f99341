"""What running print has that the demo texts lack: every digit, brackets, quotes, signs
and the accented letters of European languages.

The shipped texts (a declaration and an address) have the digits 1, 4, 6 and 7 and no
bracket, quotation mark or accent: a base model trained on them alone has no class for
``0``, ``(`` or ``é`` and drops them from every page it reads. A share of the words is
dressed as print dresses words (a number in a word's place, a word in quotes or brackets,
a sign beside it, an accent on one of its letters), only with characters the page's face
draws; everything else is the text as it was.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ACCENTED = {
    "a": "áàâäãåą", "e": "éèêëęě", "i": "íìîï", "o": "óòôöõøő", "u": "úùûüůű", "c": "çčć",
    "n": "ñńň", "y": "ýÿ", "s": "šśş", "z": "žźż", "r": "ř", "l": "ł", "d": "ď", "t": "ť",
    "g": "ğ",
}  # fmt: skip
JOINED = {"ae": "æ", "oe": "œ", "ss": "ß"}
WRAPS = ('"{}"', "“{}”", "„{}“", "'{}'", "‘{}’", "«{}»", "({})", "[{}]", "{{{}}}", "<{}>")
SIGNS = (
    "{}?", "{}!", "{}…", "{} —", "{} –", "{}*", "{}†", "§ {}", "{}%", "#{}", "${}", "€{}",
    "£{}", "{} +", "= {}", "{}/", "_{}_", "@{}", "{}|", "~{}", "{}^", "{}\\", "{}°",
)  # fmt: skip


def _number(rng: np.random.Generator) -> str:
    """A number as print sets it: a year, a count, a decimal, thousands, a time, a ratio."""
    a, b = int(rng.integers(0, 10000)), int(rng.integers(0, 100))
    forms = (str(a), f"{a % 100}", f"{a}.{b:02d}", f"{a:,}", f"{b % 24}:{a % 60:02d}",
             f"{b}/{a % 12 + 1}", f"{a % 31 + 1}.", f"{a % 1000},{b:02d}")  # fmt: skip
    return forms[int(rng.integers(len(forms)))]


def _accented(word: str, rng: np.random.Generator) -> str:
    """One letter of ``word`` accented, or two joined (``æ``, ``ß``), where it has one."""
    lower = word.lower()
    joined = [(i, pair) for pair in JOINED for i in range(len(word)) if lower.startswith(pair, i)]
    places = [i for i, ch in enumerate(lower) if ch in ACCENTED]
    if joined and rng.random() < 0.2:
        i, pair = joined[int(rng.integers(len(joined)))]
        letter = JOINED[pair] if word[i].islower() or pair == "ss" else JOINED[pair].upper()
        return word[:i] + letter + word[i + 2 :]
    if not places:
        return word
    i = places[int(rng.integers(len(places)))]
    options = ACCENTED[lower[i]]
    letter = options[int(rng.integers(len(options)))]
    return word[:i] + (letter.upper() if word[i].isupper() else letter) + word[i + 1 :]


def dressed(
    word: str, share: float, rng: np.random.Generator, accents: bool, draws: Callable[[str], bool]
) -> str:
    """``word``, or with ``share`` chance a number in its place, the word in quotes or
    brackets, with a sign, or (``accents``: a Latin page) with an accented letter — kept
    only if the face ``draws`` every character. Draws nothing when ``share`` is 0."""
    if share <= 0 or rng.random() >= share:
        return word
    kind = int(rng.integers(4 if accents else 3))
    if kind == 0:
        found = _number(rng)
    elif kind == 1:
        found = WRAPS[int(rng.integers(len(WRAPS)))].format(word)
    elif kind == 2:
        found = SIGNS[int(rng.integers(len(SIGNS)))].format(word)
    else:
        found = _accented(word, rng)
    return found if draws(found) else word
