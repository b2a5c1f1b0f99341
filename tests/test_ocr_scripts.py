"""One script per line: look-alike letters of another script are read in the line's."""

from __future__ import annotations

from imagine_core.api import Glyph, Line, Word
from imagine_plugins.ocr.assemble import LineAssembler
from imagine_plugins.ocr.scripts import look_alike, one_script_per_line, script_of


def _line(*words: str, score: float = 0.9) -> Line:
    x, found = 0.0, []
    for text in words:
        glyphs = []
        for ch in text:
            glyphs.append(Glyph((x, 0.0, x + 8.0, 12.0), ch, score))
            x += 10.0
        found.append(Word(glyphs))
        x += 10.0
    return Line(found)


def test_greek_and_cyrillic_capitals_in_a_latin_line_are_read_as_latin():
    # "THE PROGRAM" read with Greek Τ, Cyrillic Н and Р, Greek Ο: one drawing each
    line = one_script_per_line(_line("ΤНE", "PRΟGRАM", "is", "free"))
    assert line.text == "THE PROGRAM is free"
    assert {script_of(g.char) for g in line.glyphs} == {"LATIN"}


def test_a_greek_line_keeps_greek_and_its_latin_look_alikes_become_greek():
    line = one_script_per_line(_line("λoγος", "καὶ", "νόμος"))
    assert line.text == "λογος καὶ νόμος"
    assert script_of(line.words[0].glyphs[1].char) == "GREEK"


def test_a_word_clearly_in_another_script_keeps_it():
    # a Greek word quoted in a Latin line is not made Latin, even where it could be
    line = one_script_per_line(_line("the", "word", "λόγος", "means", "word"))
    assert line.text == "the word λόγος means word"


def test_letters_without_a_look_alike_digits_and_punctuation_are_left_as_read():
    line = one_script_per_line(_line("λaw", "of", "1984,", "ж."))
    assert line.text == "λaw of 1984, ж."


def test_look_alikes_go_through_the_shared_prototype():
    assert look_alike("Τ", "CYRILLIC") == "Т"  # Greek to Cyrillic, through Latin T
    assert look_alike("а", "LATIN") == "a"
    assert look_alike("A", "GREEK") == "Α"
    assert look_alike("λ", "LATIN") is None
    assert look_alike("o", "GREEK") == "ο"  # the same case: not Ο


def test_the_line_assembler_writes_each_line_in_one_script():
    line = _line("ΤНE", "ΕND")
    page = LineAssembler().assemble(line.glyphs)
    assert page[0].lines[0].text == "THE END"


def test_a_word_whose_letters_all_have_look_alikes_takes_the_line_script():
    # "γγ" could be "yy" letter for letter: nothing says it is Greek
    line = one_script_per_line(_line("warranty", "γγ", "of", "any", "kind"))
    assert line.text == "warranty yy of any kind"


def test_the_models_next_choice_in_the_line_script_wins_over_a_letter_of_another():
    # 't' read as Greek 'τ' (no Latin look-alike), the model's next choice being 't'
    line = _line("the", "wordx")
    tau = line.words[1].glyphs[4]
    tau.char, tau.score, tau.alternatives = "τ", 0.4, (("τ", 0.4), ("l", 0.05), ("t", 0.3))
    one_script_per_line(line)
    assert (tau.char, tau.score) == ("t", 0.3)  # 'l' scored under a third of the glyph's


def test_a_line_of_capitals_read_mostly_greek_is_latin_by_its_letters_only_latin_has():
    # capitals read as Greek look-alikes outnumber the Latin ones, but D and R exist in
    # Latin alone: the line is Latin (Λ, having no Latin look-alike, stays as read)
    line = one_script_per_line(_line("ΑΝDΛΟR", "ΟΤΗΕR", "ΡΑRΤΙΕS"))
    assert line.text == "ANDΛOR OTHER PARTIES"


def test_a_line_with_no_letter_only_one_script_has_follows_the_page():
    below = [
        Glyph((g.box[0], 40.0, g.box[2], 52.0), g.char, g.score) for g in _line("ΤΗΕ", "ΕΝΟ").glyphs
    ]
    page = LineAssembler().assemble([*_line("Warranty", "of", "any", "kind").glyphs, *below])
    assert [line.text for line in page[0].lines] == ["Warranty of any kind", "THE ENO"]
