"""Tiling and merging: every glyph once, in page coordinates, whatever the tile borders.

The detector here is an oracle: the page's pixels encode their own coordinates, so it
knows where each tile lies and answers with the true glyphs the tile sees — clipped at
the tile's edge, as a real detector sees a glyph a border cuts.
"""

from __future__ import annotations

import io
from itertools import pairwise

import numpy as np
import pytest
from PIL import Image

from imagine_core.api import Detector, Glyph
from imagine_core.errors import ImagineError
from imagine_plugins.ocr.tiling import TiledPageReader, origins, owned, suppress_overlaps


def coded_page(height: int, width: int) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs % 256, ys % 256, (xs // 256) * 16 + ys // 256], -1).astype(np.uint8)


class Oracle(Detector):
    def __init__(self, glyphs, stride=32, input_size=64, score=0.9):
        self.glyphs = glyphs  # (x0, y0, x1, y1, char)
        self.stride, self.input_size, self.score = stride, input_size, score
        self.batches: list[int] = []

    def detect(self, images):
        self.batches.append(len(images))
        found = []
        for tile in images.astype(int):
            r, g, b = tile[0, 0]
            x, y = (b // 16) * 256 + r, (b % 16) * 256 + g
            h, w = tile.shape[:2]
            boxes, labels = [], []
            for x0, y0, x1, y1, ch in self.glyphs:
                cx0, cy0, cx1, cy1 = max(x0, x), max(y0, y), min(x1, x + w), min(y1, y + h)
                if cx1 - cx0 > 1 and cy1 - cy0 > 1:
                    boxes.append((cx0 - x, cy0 - y, cx1 - x, cy1 - y))
                    labels.append(ch)
            found.append({"boxes": boxes, "labels": labels, "scores": [self.score] * len(boxes)})
        return found


def grid_of_glyphs(height: int, width: int, size: int = 14, pitch: int = 19):
    chars = "abcdefghijklmnopqrstuvwxyz"
    return [
        (x, y, x + size, y + size, chars[(x + y) % 26])
        for y in range(3, height - size, pitch)
        for x in range(5, width - size, pitch)
    ]


def test_tiles_cover_the_side_and_overlap():
    assert origins(300, 128, 32) == [0, 96, 172]
    assert origins(100, 128, 32) == [0]
    spans = owned(origins(300, 128, 32), 128)
    assert spans[0][0] == -np.inf and spans[-1][1] == np.inf
    assert all(a[1] == b[0] for a, b in pairwise(spans))


@pytest.mark.parametrize(("height", "width"), [(300, 420), (64, 64), (50, 90), (257, 129)])
def test_every_glyph_is_found_once_in_page_coordinates(height, width):
    glyphs = grid_of_glyphs(height, width)
    oracle = Oracle(glyphs)
    reader = TiledPageReader(tile_size=64, overlap=24, batch_size=5)
    (found,) = reader.read(oracle, [coded_page(height, width)])
    got = sorted((*g.box, g.char) for g in found)
    assert got == sorted((*(float(v) for v in g[:4]), g[4]) for g in glyphs)
    assert max(oracle.batches) <= 5


def test_glyphs_larger_than_the_overlap_still_come_once():
    glyphs = [(50.0, 50.0, 90.0, 90.0, "W")]  # 40 px, overlap 16: cut pieces survive
    reader = TiledPageReader(tile_size=64, overlap=16, max_overlap=0.3)
    (found,) = reader.read(Oracle(glyphs), [coded_page(160, 160)])
    assert [g.char for g in found] == ["W"]


def test_several_pages_at_once_keep_their_own_glyphs():
    a, b = grid_of_glyphs(100, 100), grid_of_glyphs(150, 80)
    pages = [coded_page(100, 100), coded_page(150, 80)]
    reader = TiledPageReader(tile_size=64, overlap=24)
    found = reader.read(Oracle(a), pages[:1]) + reader.read(Oracle(b), pages[1:])
    assert [len(f) for f in found] == [len(a), len(b)]


def test_low_scores_are_dropped_and_middling_ones_marked_uncertain():
    glyphs = grid_of_glyphs(64, 64)
    reader = TiledPageReader(tile_size=64, overlap=16, min_score=0.3, low_confidence=0.5)
    (found,) = reader.read(Oracle(glyphs, score=0.4), [coded_page(64, 64)])
    assert found and all(g.uncertain for g in found)
    (none,) = reader.read(Oracle(glyphs, score=0.2), [coded_page(64, 64)])
    assert none == []


def test_each_glyph_keeps_the_alternatives_its_detection_came_with():
    class WithAlternatives(Oracle):
        def detect(self, images):
            found = super().detect(images)
            for page in found:
                page["alternatives"] = [((ch, 0.9), ("Ω", 0.2)) for ch in page["labels"]]
            return found

    glyphs = grid_of_glyphs(64, 64)
    (found,) = TiledPageReader(tile_size=64, overlap=16).read(
        WithAlternatives(glyphs), [coded_page(64, 64)]
    )
    assert found and all(g.alternatives == ((g.char, 0.9), ("Ω", 0.2)) for g in found)
    (plain,) = TiledPageReader(tile_size=64, overlap=16).read(Oracle(glyphs), [coded_page(64, 64)])
    assert all(g.alternatives == () for g in plain)


def test_tile_size_defaults_to_the_models_and_fits_its_stride():
    reader = TiledPageReader(tile_size=0)
    assert reader.size_for(Oracle([], stride=32, input_size=256)) == 256
    assert TiledPageReader(tile_size=100).size_for(Oracle([], stride=32)) == 128


def test_an_overlap_as_big_as_the_tile_is_refused():
    with pytest.raises(ImagineError, match="overlap"):
        TiledPageReader(tile_size=64, overlap=64)


def test_a_thin_double_inside_a_better_glyph_is_dropped_neighbours_stay():
    i = Glyph((10.0, 0.0, 14.0, 20.0), "i", 0.9)
    double = Glyph((11.0, 2.0, 13.0, 20.0), "l", 0.4)  # IoU 0.45, but 100% inside the 'i'
    neighbour = Glyph((15.0, 0.0, 25.0, 20.0), "n", 0.8)  # touches the 'i', shares nothing
    kerned = Glyph((23.0, 0.0, 33.0, 20.0), "o", 0.7)  # shares 20% of its box with the 'n'
    kept = suppress_overlaps([double, i, neighbour, kerned], 0.5)
    assert [g.char for g in kept] == ["i", "n", "o"]


class SizeBoundReader(Detector):
    """A detector that, like a trained one, only knows glyphs of the sizes it saw: ink
    blobs 14-26 px tall, read as 'l' (narrow) or 'o' (round); anything else it misses."""

    stride, input_size = 32, 128

    def detect(self, images):
        import cv2

        found = []
        for tile in images.astype(np.uint8):
            ink = (tile[..., 0] < 128).astype(np.uint8)
            count, _, stats, _ = cv2.connectedComponentsWithStats(ink, 8)
            boxes, labels = [], []
            for x, y, w, h, _ in stats[1:count]:
                if 14 <= h <= 26:
                    boxes.append((x, y, x + w, y + h))
                    labels.append("l" if w < 0.6 * h else "o")
            found.append({"boxes": boxes, "labels": labels, "scores": [0.9] * len(boxes)})
        return found


def bars_and_rings(scale: float) -> tuple[np.ndarray, str]:
    """Three lines of 'l's and 'o's 20 px tall (at scale 1), and their text."""
    from PIL import ImageDraw

    rows = ["lol ool lo", "oll lol", "lo oo ll"]
    img = Image.new("RGB", (420, 200), "white")
    draw = ImageDraw.Draw(img)
    for r, text in enumerate(rows):
        x, top = 12, 20 + 55 * r
        for ch in text:
            if ch == "l":
                draw.rectangle([x, top, x + 6, top + 20], fill="black")
            elif ch == "o":
                draw.ellipse([x, top, x + 18, top + 20], outline="black", width=3)
            x += 12 if ch == " " else (10 if ch == "l" else 22)
    if scale != 1:
        img = img.resize((round(420 * scale), round(200 * scale)), Image.BICUBIC)
    return np.asarray(img), "\n".join(rows)


@pytest.mark.parametrize("scale", [0.6, 1.0, 1.6])
def test_pages_are_read_at_the_glyph_size_the_model_learned(scale):
    from imagine_plugins.evaluation.metrics import CharacterErrorRate
    from imagine_plugins.ocr.assemble import LineAssembler

    page, truth = bars_and_rings(scale)
    cer = CharacterErrorRate(LineAssembler(), min_score=0.0)
    reader = TiledPageReader(tile_size=128, overlap=40, glyph_heights=(19, 23))
    (glyphs,) = reader.read(SizeBoundReader(), [page])
    read = cer.read([g.box for g in glyphs], [g.char for g in glyphs])
    assert cer.add_text("page", truth, read).cer <= 0.01
    if scale != 1.0:  # read as it is, the page's glyphs are sizes the model never saw
        (unscaled,) = TiledPageReader(tile_size=128, overlap=40).read(SizeBoundReader(), [page])
        assert len(unscaled) < len(glyphs) / 2


def test_glyph_height_follows_the_scale_of_the_page():
    from imagine_plugins.ocr.scale import glyph_height

    heights = [glyph_height(bars_and_rings(s)[0]) for s in (0.6, 1.0, 1.6)]
    assert heights[1] == pytest.approx(21, abs=1.5)
    assert heights[0] == pytest.approx(0.6 * heights[1], rel=0.1)
    assert heights[2] == pytest.approx(1.6 * heights[1], rel=0.1)


def test_a_page_set_in_capitals_measures_as_the_same_type_as_running_text():
    """Capitals stand 1.3-1.5x taller than small letters: measured by the median, a page of
    capitals was taken for larger type and read shrunk, its capitals the size of small
    letters (and read as small letters)."""
    from imagine_plugins.datatools.demo.render import PageStyle, corpus_text, render_page
    from imagine_plugins.ocr.scale import glyph_height

    def height(capitals: float) -> float:
        style = PageStyle(width=640, height=480, min_size=24, max_size=24, degradations=[],
                          capitals=capitals)  # fmt: skip
        png, _, _ = render_page(corpus_text(), 40, style, np.random.default_rng(0))
        return glyph_height(np.asarray(Image.open(io.BytesIO(png)).convert("L")))

    assert height(1.0) == pytest.approx(height(0.0), rel=0.1)


class WholeTile(Detector):
    """Answers one glyph the size of every tile it is shown, padding included."""

    stride, input_size = 32, 64

    def detect(self, images):
        side = images.shape[1]
        return [{"boxes": [(0, 0, side, side)], "labels": ["a"], "scores": [0.9]} for _ in images]


def test_boxes_of_a_rescaled_page_stay_inside_the_page(monkeypatch):
    import imagine_plugins.ocr.tiling as tiling

    # 421 px at 0.7 is 294.7, rounded to 295 px: scaled back, 421.4 px
    monkeypatch.setattr(tiling, "scale_for", lambda image, low, high, percentile: 0.7)
    page = np.full((203, 421, 3), 255, np.uint8)
    (glyphs,) = TiledPageReader(tile_size=64, overlap=16).read(WholeTile(), [page])
    assert glyphs
    for g in glyphs:
        x0, y0, x1, y1 = g.box
        assert 0 <= x0 < x1 <= 421 and 0 <= y0 < y1 <= 203


class SurestAt(Detector):
    """Finds blobs 10-50 px tall, surest of those 17 px tall (as a model is of the glyph
    size it learned), whatever the size the page's measure says."""

    stride, input_size = 32, 128

    def __init__(self, score=lambda h: max(0.25, 1 - abs(h - 17) / 17)):
        self.score = score

    def detect(self, images):
        import cv2

        found = []
        for tile in images.astype(np.uint8):
            ink = (tile[..., 0] < 128).astype(np.uint8)
            count, _, stats, _ = cv2.connectedComponentsWithStats(ink, 8)
            boxes, labels, scores = [], [], []
            for x, y, w, h, _ in stats[1:count]:
                if 10 <= h <= 50:
                    boxes.append((x, y, x + w, y + h))
                    labels.append("l" if w < 0.6 * h else "o")
                    scores.append(self.score(h))
            found.append({"boxes": boxes, "labels": labels, "scores": scores})
        return found


def test_scale_search_reads_the_page_where_the_model_is_surest():
    from imagine_plugins.evaluation.metrics import CharacterErrorRate
    from imagine_plugins.ocr.assemble import LineAssembler

    page, truth = bars_and_rings(1.0)  # 21 px glyphs: inside the measured range
    measured = TiledPageReader(tile_size=128, overlap=48, glyph_heights=(19, 23))
    searched = TiledPageReader(tile_size=128, overlap=48, glyph_heights=(19, 23), scale_search=True)
    assert measured.factor(SurestAt(), page) == 1.0
    assert searched.factor(SurestAt(), page) == pytest.approx(0.8)  # 17 px: the surest
    (glyphs,) = searched.read(SurestAt(), [page])
    cer = CharacterErrorRate(LineAssembler(), min_score=0.0)
    read = cer.read([g.box for g in glyphs], [g.char for g in glyphs])
    assert cer.add_text("page", truth, read).cer <= 0.01
    assert max(g.box[3] for g in glyphs) <= page.shape[0]  # boxes in the page's pixels


@pytest.mark.parametrize("larger, chosen", [(0.82, 1.0), (0.86, 1.25)])
def test_scale_search_keeps_the_measured_scale_unless_another_is_clearly_surer(larger, chosen):
    page, _ = bars_and_rings(1.0)  # 21 px: 0.80 sure at the measured scale, `larger` above
    detector = SurestAt(score=lambda h: 0.80 if h < 24 else larger)
    reader = TiledPageReader(tile_size=128, overlap=48, glyph_heights=(19, 23), scale_search=True)
    assert reader.factor(detector, page) == pytest.approx(chosen)


@pytest.mark.parametrize(
    ("recorded", "percentile"),
    [({}, 80), ({"min_glyph_height": 10, "max_glyph_height": 14}, 50),
     ({"min_glyph_height": 14, "max_glyph_height": 21, "glyph_height_percentile": 80}, 80)],
)  # fmt: skip
def test_a_run_recorded_with_the_median_is_read_with_the_median(recorded, percentile):
    """Runs made before ocr.glyph_height_percentile measured their pages by the median:
    read by the 80th percentile, their pages would be rescaled by the wrong factor."""
    import imagine
    from imagine_plugins.ocr.plugin import _tiled

    reader = _tiled(pipeline=imagine.pipeline_from_dict({"ocr": recorded}))
    assert reader.percentile == percentile
