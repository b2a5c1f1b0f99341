"""One script per line: a letter read in another script becomes its look-alike in the line's.

A glyph model that knows Latin, Greek and Cyrillic cannot tell ``A`` from ``Α`` or ``А``,
``o`` from ``ο`` or ``о``, by their shape: in most faces they are one drawing. Which one
the page means is decided by the letters around it that only one script has (``D``, ``R``,
``λ``, ``ж``; weighted by score): a line of capitals read as ``ΑΝDΛΟR ΟΤΗΕR`` is Latin by
its ``D`` and ``R``, whatever the look-alikes say. Where a line has none, the page's
decide; with none on the page either, the script most letters are read in. A word keeps a
script of its own only when most of its letters agree on it, one of them has no look-alike
in the line's script and none of the line's own letters is in it (a Greek word quoted in
a Latin line). A letter of another script then becomes the model's next choice in the
chosen script (``Glyph.alternatives``), else its look-alike there where Unicode names one
(confusables.txt); letters with neither (``λ``) are left as read. The scripts and
look-alikes are Unicode's, through ``confusable_homoglyphs``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

from imagine_core.api import Glyph, Line

OWN_WORD = 2 / 3  # a word keeps its own script when this share of its letters vote for it
PAGE_PRIOR = 1.0  # the page's distinctive letters weigh as much as one letter of the line
ALTERNATIVE = 0.3  # a next choice in the line's script this share of the glyph's score wins
NOT_A_SCRIPT = {"COMMON", "INHERITED"}  # digits, punctuation, combining marks
UNLIKE = ("MATHEMATICAL", "SMALL CAPITAL", "FULLWIDTH", "MODIFIER", "ROMAN NUMERAL", "TURNED")


@lru_cache(maxsize=4096)
def script_of(char: str) -> str | None:
    """The Unicode script of a letter (``LATIN``, ``GREEK`` …); None for anything else."""
    from confusable_homoglyphs import categories

    if len(char) != 1 or not unicodedata.category(char).startswith("L"):
        return None
    script = categories.alias(char)
    return None if script in NOT_A_SCRIPT else script


def _homoglyphs(char: str) -> list[str]:
    from confusable_homoglyphs import confusables

    found = confusables.is_confusable(char, greedy=True, preferred_aliases=[]) or []
    return [h["c"] for entry in found for h in entry["homoglyphs"]
            if not any(word in h["n"] for word in UNLIKE)]  # fmt: skip


@lru_cache(maxsize=4096)
def look_alike(char: str, script: str) -> str | None:
    """``char`` as ``script`` writes the same shape: a letter of that script and of the
    same case that Unicode lists as confusable with it, directly or through the prototype
    both map to (Greek ``Τ`` → Latin ``T`` → Cyrillic ``Т``)."""
    near = _homoglyphs(char)
    candidates = [*near, *(c for h in near for c in _homoglyphs(h))]
    case = unicodedata.category(char)
    for candidate in candidates:
        if (len(candidate) == 1 and candidate != char and script_of(candidate) == script
                and unicodedata.category(candidate) == case):  # fmt: skip
            return candidate
    return None


def _votes(glyphs: list[Glyph]) -> Counter[str]:
    votes: Counter[str] = Counter()
    for g in glyphs:
        script = script_of(g.char)
        if script is not None:
            votes[script] += g.score
    return votes


def _alternative(glyph: Glyph, script: str) -> tuple[str, float] | None:
    """The best of what the model also found at the glyph's place that is a letter of
    ``script``, if it scored at least ``ALTERNATIVE`` of the glyph's own score."""
    for char, score in glyph.alternatives:
        if script_of(char) == script and score >= ALTERNATIVE * glyph.score:
            return char, score
    return None


def _written_in(glyphs: list[Glyph], script: str) -> None:
    """Each letter of another script as ``script`` writes it: the model's own next choice
    in that script where it has one, else the same shape's look-alike, else as read."""
    for g in glyphs:
        found = script_of(g.char)
        if found is None or found == script:
            continue
        alternative = _alternative(g, script)
        if alternative is not None:
            g.char, g.score = alternative
        else:
            g.char = look_alike(g.char, script) or g.char


def _script_of_word(glyphs: list[Glyph], line_script: str) -> str:
    """The line's script, unless most of the word is read in another, the word holds a
    letter of it that the line's script has no look-alike for, and none of the line's
    script that the other has none for: a word all of whose letters could be the line's
    (``γγ`` for ``yy``), or that has the line's own letters (``ΑΝDΛΟR``), is the line's."""
    votes = _votes(glyphs)
    if not votes:
        return line_script
    best, weight = votes.most_common(1)[0]
    own = [g.char for g in glyphs if script_of(g.char) == best]
    lines = [g.char for g in glyphs if script_of(g.char) == line_script]
    if (best != line_script and weight >= OWN_WORD * sum(votes.values()) and len(own) >= 2
            and any(look_alike(ch, line_script) is None for ch in own)
            and all(look_alike(ch, best) is not None for ch in lines)):  # fmt: skip
        return best
    return line_script


def _distinct(glyphs: list[Glyph], scripts: set[str]) -> Counter[str]:
    """Votes of the letters whose shape only their script has among ``scripts`` (``D``,
    ``λ``, ``ж``): ``A``, ``Α`` and ``А`` say nothing about which is meant."""
    votes: Counter[str] = Counter()
    for g in glyphs:
        script = script_of(g.char)
        if script in scripts and all(look_alike(g.char, o) is None for o in scripts - {script}):
            votes[script] += g.score
    return votes


def page_votes(lines: list[Line]) -> Counter[str]:
    """The page's distinctive letters' votes: what decides a line that has none."""
    glyphs = [g for line in lines for g in line.glyphs]
    return _distinct(glyphs, {s for g in glyphs if (s := script_of(g.char)) is not None})


def _line_script(line: Line, scripts: set[str], page: Counter[str] | None) -> str:
    """The script of the line's distinctive letters, the page's worth one letter more;
    between equals (or with none of either) the script most letters are read in."""
    distinct = _distinct(line.glyphs, scripts)
    total = sum(page[s] for s in scripts) if page else 0.0
    for script in scripts:
        if total:
            distinct[script] += PAGE_PRIOR * page[script] / total
    votes = _votes(line.glyphs)
    return max(sorted(scripts), key=lambda s: (round(distinct[s], 6), votes[s]))


def one_script_per_line(line: Line, page: Counter[str] | None = None) -> Line:
    """Letters of ``line`` in the script of the line, or of their word where that word is
    clearly in another one. Changes the glyphs in place; returns the line."""
    scripts = set(_votes(line.glyphs))
    if page:
        scripts.add(page.most_common(1)[0][0])  # a line read all in look-alikes of another
    if len(scripts) < 2:
        return line  # one script (or none): nothing to choose
    line_script = _line_script(line, scripts, page)
    for word in line.words:
        _written_in(word.glyphs, _script_of_word(word.glyphs, line_script))
    return line
