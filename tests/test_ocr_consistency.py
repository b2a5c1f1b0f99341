"""A glyph's character checked against the page's own sure glyphs (ocr.shape_weight)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from imagine_core.api import Glyph
from imagine_plugins.ocr.consistency import checked
from imagine_plugins.ocr.tiling import TiledPageReader

SIZE = 40


def _page(chars: str) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    """One line of ``chars`` in Pillow's own font, and each character's ink box."""
    font = ImageFont.load_default(size=SIZE)
    image = Image.new("RGB", (60 * len(chars) + 40, 120), "white")
    draw = ImageDraw.Draw(image)
    boxes = []
    for i, char in enumerate(chars):
        x = 20 + 60 * i
        draw.text((x, 30), char, font=font, fill="black")
        boxes.append(draw.textbbox((x, 30), char, font=font))
    return np.asarray(image), boxes


def _read(chars: str, unsure: int, said: str, offered: tuple) -> tuple[np.ndarray, list[Glyph]]:
    """Glyphs for ``chars`` read surely, except the one at ``unsure``: read as ``said``
    with ``offered`` as the detector's alternatives."""
    image, boxes = _page(chars)
    glyphs = [Glyph(box, c, 0.95, False, ((c, 0.95),)) for c, box in zip(chars, boxes, strict=True)]
    score = dict(offered)[said]
    glyphs[unsure] = Glyph(boxes[unsure], said, score, True, offered)
    return image, glyphs


def test_an_unsure_place_takes_the_offered_character_its_ink_looks_like():
    """An 'm' the detector read as 'n' (its 'm' a little behind) becomes 'm': the page's
    sure m's look like it, its n's do not."""
    image, glyphs = _read("nnmmnmnm", 5, "n", (("n", 0.5), ("m", 0.4)))
    read = checked(glyphs, image, weight=4.0)
    assert "".join(g.char for g in read) == "nnmmnmnm"
    assert read[5].score == pytest.approx(0.4) and read[5].uncertain
    assert checked(glyphs, image, weight=0.0)[5].char == "n"  # off: the model's choice


def test_a_character_not_offered_or_never_read_surely_is_never_chosen():
    """An 'm' read as 'n', 'm' not offered, stays 'n' though the page has sure m's; offered
    'm' where the page has no sure 'm', it stays too: the page has nothing to say."""
    image, glyphs = _read("nnmmnmnm", 5, "n", (("n", 0.5),))
    assert checked(glyphs, image, weight=4.0)[5].char == "n"
    image, glyphs = _read("nnnmooon", 3, "n", (("n", 0.5), ("m", 0.45)))
    assert checked(glyphs, image, weight=4.0)[3].char == "n"


def test_the_page_reader_checks_shapes_only_when_asked():
    class Detector:
        fixed_input, input_size, stride = False, 512, 32

        def detect(self, tiles):
            return [{"boxes": [g.box for g in glyphs], "labels": [g.char for g in glyphs],
                     "scores": [g.score for g in glyphs],
                     "alternatives": [g.alternatives for g in glyphs]} for _ in tiles]  # fmt: skip

    image, glyphs = _read("nnmmnmnm", 5, "n", (("n", 0.5), ("m", 0.4)))
    for weight, expected in ((0.0, "nnmmnnnm"), (4.0, "nnmmnmnm")):
        reader = TiledPageReader(tile_size=1024, overlap=32, min_score=0.2, shape_weight=weight)
        (found,) = reader.read(Detector(), [image])
        assert "".join(g.char for g in sorted(found, key=lambda g: g.box[0])) == expected


def test_an_unsure_glyph_like_none_of_its_characters_sure_glyphs_is_dropped():
    """A blot read as an unsure 'n' is no glyph: it goes; an unsure 'n' that looks like the
    page's sure n's stays, and so does a sure blot (the detector's word stands)."""
    image, glyphs = _read("nnnnnnnn", 6, "n", (("n", 0.3),))
    image = image.copy()
    x0, y0, x1, y1 = glyphs[7].box
    image[y0:y1, x0:x1] = 0  # the last 'n' is a black blot now
    glyphs[7] = Glyph(glyphs[7].box, "n", 0.3, True, (("n", 0.3),))
    kept = checked(glyphs, image, weight=4.0)
    assert [g.box[0] for g in kept] == [g.box[0] for g in glyphs[:7]]
    glyphs[7] = Glyph(glyphs[7].box, "n", 0.9, False, (("n", 0.9),))
    assert len(checked(glyphs, image, weight=4.0)) == 8


def test_a_character_never_read_surely_is_drawn_by_its_likely_glyphs():
    """Every 'm' read at 0.6 (the model learnt it from one mark): the 'm' read as 'n' still
    becomes 'm'; read under 0.5 everywhere, 'm' has no drawing and the 'n' stands."""
    for score, expected in ((0.6, "m"), (0.4, "n")):
        image, glyphs = _read("nnmmnmnm", 5, "n", (("n", 0.5), ("m", 0.3)))
        glyphs = [
            Glyph(g.box, "m", score, True, (("m", score),)) if g.char == "m" else g for g in glyphs
        ]
        assert checked(glyphs, image, weight=4.0)[5].char == expected
