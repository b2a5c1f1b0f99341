"""A word list as a prior: uncertain glyphs take the alternatives that spell a listed word."""

from __future__ import annotations

import pytest

from imagine_core.api import Glyph, ImagineError, Word
from imagine_plugins.ocr.assemble import LineAssembler
from imagine_plugins.ocr.lexicon import Lexicon, spelled

LEXICON = Lexicon({"published", "the", "hat", "hot", "valid"})


def _word(text: str, score: float = 0.9, **unsure: tuple) -> Word:
    """Glyphs of ``text``; ``unsure={index: (score, (alternative, score), …)}``."""
    glyphs = []
    for i, ch in enumerate(text):
        glyphs.append(Glyph((10.0 * i, 0.0, 10.0 * i + 8, 12.0), ch, score))
    for key, (own, *others) in unsure.items():
        g = glyphs[int(key[1:])]
        g.score, g.alternatives = own, ((g.char, own), *others)
    return Word(glyphs)


def test_an_uncertain_glyph_takes_the_alternative_that_spells_a_listed_word():
    word = spelled(_word("pubiished,", i3=(0.4, ("l", 0.3), ("t", 0.2))), LEXICON, 0.5)
    assert word.text == "published,"  # punctuation around the word stays
    assert word.glyphs[3].score == pytest.approx(0.3)  # the chosen character's own score


def test_a_sure_glyph_or_a_listed_word_is_never_changed():
    sure = spelled(_word("pubiished", i3=(0.7, ("l", 0.6))), LEXICON, 0.5)
    assert sure.text == "pubiished"
    listed = spelled(_word("hat", i1=(0.3, ("o", 0.29))), LEXICON, 0.5)
    assert listed.text == "hat"


def test_at_most_two_glyphs_change_and_nothing_is_inserted():
    three = _word("vxkxd", i1=(0.3, ("a", 0.2)), i2=(0.3, ("l", 0.2)), i3=(0.3, ("i", 0.2)))
    assert spelled(three, LEXICON, 0.5).text == "vxkxd"
    two = _word("vxlxd", i1=(0.3, ("a", 0.2)), i3=(0.3, ("i", 0.2)))
    assert spelled(two, LEXICON, 0.5).text == "valid"
    assert spelled(_word("publshed", i4=(0.3, ("i", 0.2))), LEXICON, 0.5).text == "publshed"


def test_of_two_listed_spellings_the_better_scored_wins_and_case_is_kept():
    word = _word("Hxt", i1=(0.3, ("a", 0.1), ("o", 0.25)))
    assert spelled(word, LEXICON, 0.5).text == "Hot"  # 'hot' listed in lower case


def test_the_line_assembler_spells_with_the_word_list_it_is_given(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("Published by the Free Software Foundation.\n", encoding="utf-8")
    glyphs = _word("pubiished", i3=(0.4, ("l", 0.3))).glyphs
    assert LineAssembler().assemble(list(glyphs))[0].lines[0].text == "pubiished"
    region = LineAssembler(words=str(words)).assemble(list(glyphs))[0]
    assert region.lines[0].text == "published"


def test_a_missing_or_unreadable_word_list_is_named(tmp_path):
    with pytest.raises(ImagineError, match="not a file"):
        LineAssembler(words=str(tmp_path / "nope.txt"))
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ImagineError, match="not UTF-8"):
        LineAssembler(words=str(latin1))
