"""Hooks of the OCR plugin."""

from __future__ import annotations

from imagine_core.api import hookimpl

WRITERS = {
    "txt": ("text", "TextWriter", "plain text, one line per line, in reading order"),
    "json": ("text", "JsonWriter", "every glyph: box, character, score, region/line/word"),
    "hocr": ("hocr", "HocrWriter", "hOCR 1.2 (XHTML): lines, words, glyphs, x_wconf"),
    "alto": ("alto", "AltoWriter", "ALTO v4 XML: blocks, lines, strings, glyphs, WC/GC/CC"),
    "page": ("pagexml", "PageXmlWriter", "PAGE XML 2019-07-15: regions to glyphs, conf"),
    "overlay": ("overlay", "OverlayWriter", "PNG of the page with boxes and characters"),
    "labelimg": ("labelimg", "LabelImgWriter", "Pascal VOC XML beside the image, to correct"),
}


def _writer(module: str, cls: str):
    def factory(config=None, slot=None, pipeline=None):
        import importlib

        return getattr(importlib.import_module(f"imagine_plugins.ocr.writers.{module}"), cls)()

    return factory


def _tiled(config=None, slot=None, pipeline=None):
    from imagine_plugins.ocr.tiling import TiledPageReader

    settings = slot if slot is not None else pipeline.ocr
    return TiledPageReader(
        tile_size=settings.tile_size,
        overlap=settings.tile_overlap,
        min_score=settings.min_score,
        low_confidence=settings.low_confidence,
        max_overlap=settings.max_overlap,
        batch_size=settings.batch_size,
        glyph_heights=(settings.min_glyph_height, settings.max_glyph_height),
        percentile=_percentile(settings),
        scale_search=settings.scale_search,
        shape_weight=settings.shape_weight,
    )


def _percentile(settings) -> float:
    """The percentile the run's glyph heights were measured with: a run made before
    ``glyph_height_percentile`` existed recorded heights measured by the median."""
    from imagine_plugins.ocr.scale import MEDIAN_BEFORE

    recorded = settings.HasField("min_glyph_height") or settings.HasField("max_glyph_height")
    if recorded and not settings.HasField("glyph_height_percentile"):
        return MEDIAN_BEFORE
    return settings.glyph_height_percentile


def _lines(config=None, slot=None, pipeline=None):
    from imagine_plugins.ocr.assemble import LineAssembler

    settings = slot if slot is not None else pipeline.ocr if pipeline is not None else None
    if settings is None:
        return LineAssembler()
    return LineAssembler(words=settings.words, sure=settings.low_confidence)


@hookimpl
def imagine_register(registry):
    for name, (module, cls, description) in WRITERS.items():
        registry.add("writer", name, factory=_writer(module, cls), description=description)
    registry.add(
        "page_reader",
        "tiled",
        factory=_tiled,
        description="overlapping tiles at the model's size, batched, merged; overlaps suppressed",
    )
    registry.add(
        "text_assembler",
        "lines",
        factory=_lines,
        description="columns (XY-cut), skew-tolerant lines, spaces from each line's gaps",
    )

    from imagine_plugins.ocr.command import Ocr

    registry.add("command", "ocr", factory=lambda **_: Ocr(), description=Ocr.help)

    from imagine_plugins.ocr.infer import Infer

    registry.add("command", "infer", factory=lambda **_: Infer(), description=Infer.help)


@hookimpl
def imagine_reads():
    return ["ocr.*"]


@hookimpl
def imagine_fill_from_pages(pipeline, pages):
    """``ocr.min/max_glyph_height``, measured on the training pages: `imagine ocr`, and
    the run's evaluation, rescale a page whose glyphs are of another size. Heights the
    user set are kept."""
    settings = pipeline.ocr
    if settings.HasField("min_glyph_height") or settings.HasField("max_glyph_height"):
        return []
    from imagine_plugins.ocr.scale import TALL, training_range

    low, high = training_range(pages)
    settings.min_glyph_height, settings.max_glyph_height = low, high
    settings.glyph_height_percentile = TALL
    if not low:
        return []
    return [
        f"ocr.min_glyph_height={low:.1f} ocr.max_glyph_height={high:.1f} (the glyphs on "
        "the training pages: pages with other sizes are rescaled before they are read)"
    ]
