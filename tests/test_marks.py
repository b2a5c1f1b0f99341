"""What synthesis takes from a marked page: each glyph's own ink, the page's spacing, and
ignore regions around what nobody marked."""

from __future__ import annotations

import io
from itertools import pairwise

import numpy as np
import pytest
from PIL import Image

from imagine_core.api import IGNORE, Box, Example
from imagine_plugins.datatools.marks import glyph_mask, ignore_regions, read_marked
from imagine_plugins.datatools.synth import marked_pages, read_sources, synthesise


def example_of(page: np.ndarray, boxes: list[Box]) -> Example:
    buffer = io.BytesIO()
    Image.fromarray(page).convert("RGB").save(buffer, format="PNG")
    h, w = page.shape
    return Example(image=buffer.getvalue(), width=w, height=h, boxes=boxes, source="page.xml")


def line_page(letters: int = 24, word_every: int = 4) -> tuple[np.ndarray, list[Box]]:
    """Rows of 8x16 px 'letters' 3 px apart, a 12 px gap after every ``word_every``."""
    page = np.full((200, 420), 255, np.uint8)
    boxes = []
    for row in range(3):
        x, top = 10, 20 + row * 40
        for i in range(letters):
            page[top : top + 16, x : x + 8] = 20
            boxes.append(Box(x, top, x + 8, top + 16, label="abcd"[i % 4]))
            x += 8 + (12 if (i + 1) % word_every == 0 else 3)
    return page, boxes


def test_a_neighbour_poking_into_the_box_is_not_part_of_the_glyph():
    components = np.zeros((20, 40), np.int32)
    components[2:18, 4:12] = 1  # the glyph, wholly inside the box x 2..16
    components[5:9, 14:30] = 2  # a neighbour's stroke, mostly outside, reaching in
    areas = np.bincount(components.ravel())
    mask = glyph_mask(components, areas, (2, 0, 16, 20))
    assert mask[:, 2:10].sum() == 16 * 8  # the glyph's ink is all kept
    assert not mask[:, 12:].any()  # the neighbour's is gone


def test_a_glyph_joined_to_its_neighbour_keeps_its_body():
    components = np.zeros((20, 60), np.int32)
    components[2:18, 4:14] = 1  # the glyph's body, in the middle of its box 2..16
    components[9:11, 14:50] = 1  # joined by a hairline to the next glyph, far outside
    components[2:18, 40:50] = 1
    areas = np.bincount(components.ravel())
    mask = glyph_mask(components, areas, (2, 0, 16, 20))
    assert mask[2:18, 2:12].all()


def test_spacing_is_measured_from_the_page():
    page, boxes = line_page()
    marked = read_marked(example_of(page, boxes))
    unit = 16
    assert np.median(marked.spacing.letter_gaps) == pytest.approx(3 / unit, abs=0.01)
    assert np.median(marked.spacing.word_gaps) == pytest.approx(12 / unit, abs=0.01)
    assert marked.spacing.pitch == pytest.approx(40 / unit, rel=0.05)
    assert marked.spacing.touching < 0.1


def test_glyphs_are_cut_as_their_ink_with_the_users_box_around_it():
    page, boxes = line_page()
    loose = [Box(b.xmin - 1, b.ymin - 2, b.xmax + 1, b.ymax + 1, b.label) for b in boxes[:4]]
    marked = read_marked(example_of(page, loose))
    glyph = marked.glyphs[0]
    assert glyph.ink.shape == (16, 8)
    assert glyph.ink.max() < 0.2  # solid ink: the paper around it is not part of it
    unit = marked.unit
    assert tuple(round(v * unit) for v in glyph.pad) == (1, 2, 1, 1)


def test_unmarked_glyphs_become_ignore_regions_and_a_fully_marked_page_has_none():
    page, boxes = line_page()
    example = example_of(page, boxes[:4])
    regions = ignore_regions(read_marked(example), boxes[:4])
    assert regions and all(r.label == IGNORE for r in regions)
    for glyph in boxes[4:]:  # every unmarked glyph lies inside some region
        cx, cy = (glyph.xmin + glyph.xmax) / 2, (glyph.ymin + glyph.ymax) / 2
        assert any(r.xmin <= cx <= r.xmax and r.ymin <= cy <= r.ymax for r in regions)
    full = example_of(page, boxes)
    assert ignore_regions(read_marked(full), boxes) == []


def test_marked_pages_join_training_with_their_marks_and_ignore_regions():
    page, boxes = line_page()
    example = example_of(page, boxes[:4])
    copies = list(marked_pages([example], read_sources([example]), 3))
    assert [c.filename for c in copies] == [f"marked_page_{i:02d}.png" for i in range(3)]
    labels = [b.label for b in copies[0].boxes]
    assert labels[:4] == ["a", "b", "c", "d"] and set(labels[4:]) == {IGNORE}


def test_composed_lines_are_spaced_like_the_marked_page():
    page, boxes = line_page()
    source = read_sources([example_of(page, boxes)])
    (composed,) = synthesise(
        source, 1, words=["abcd", "ab"], alphabet=None, size=(400, 200), seed=0
    )
    rows: dict[int, list[Box]] = {}
    for box in composed.boxes:
        rows.setdefault(round(box.ymax / 8), []).append(box)
    gaps = []
    for line in rows.values():
        ordered = sorted(line, key=lambda b: b.xmin)
        gaps += [(b.xmin - a.xmax) / 16 for a, b in pairwise(ordered)]
    small = [g for g in gaps if g < 0.45]
    large = [g for g in gaps if g >= 0.45]
    # Letter gaps near 3/16 of a glyph, word gaps near 12/16, as on the page (scale varies).
    assert np.median(small) == pytest.approx(3 / 16, abs=0.08)
    assert np.median(large) == pytest.approx(12 / 16, rel=0.3)
