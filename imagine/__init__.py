"""imagine's Python API: read pages with a trained model from your own code.

    import imagine

    reader = imagine.load("outputs/default")        # a run folder, or an `imagine export`
    page = reader.read("page.png")                  # a path, a PIL image or an RGB array
    page.text, page.lines, page.words, page.glyphs  # glyphs: .char, .box, .score
    page.to_hocr(), page.to_alto(), page.to_page_xml()
    pages = reader.read_many(["a.png", "b.png"])    # tiles of all pages batched together

    pipeline = imagine.pipeline(["model=ssd_mobilenet_v2", "steps=500"])  # composed, validated
    pipeline = imagine.pipeline_from_dict({"train_config": {"batch_size": 4}})

A page is read exactly as ``imagine ocr`` reads it (the model's ``ocr`` settings: tiling,
rescaling to the trained glyph size, the text assembler); nothing is written to disk.
Importing this module loads no TensorFlow; ``load`` does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imagine_core.contracts.ocr import Glyph, Line, Page, Region, Word
from imagine_core.errors import ConfigError, DataError, ImagineError

__all__ = [
    "ConfigError",
    "DataError",
    "Glyph",
    "ImagineError",
    "Line",
    "ReadPage",
    "Reader",
    "Region",
    "Word",
    "load",
    "pipeline",
    "pipeline_from_dict",
]


@dataclass
class ReadPage:
    """A page read: its text and layout, and the formats ``imagine ocr`` writes, as text."""

    page: Page
    _writers: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def text(self) -> str:
        return self.page.text

    @property
    def regions(self) -> list[Region]:
        return self.page.regions

    @property
    def lines(self) -> list[Line]:
        return self.page.lines

    @property
    def words(self) -> list[Word]:
        return [word for line in self.page.lines for word in line.words]

    @property
    def glyphs(self) -> list[Glyph]:
        return self.page.glyphs

    def _written(self, name: str) -> str:
        with tempfile.TemporaryDirectory() as folder:
            path = self._writers[name].write(self.page, Path(folder))
            return path.read_text(encoding="utf-8")

    def to_hocr(self) -> str:
        return self._written("hocr")

    def to_alto(self) -> str:
        return self._written("alto")

    def to_page_xml(self) -> str:
        return self._written("page")

    def to_json(self) -> str:
        return self._written("json")


def _images(source: Any) -> list[tuple[Any, Path | None, str]]:
    """RGB uint8 arrays, with their path and name: every page of an image file (a
    multi-page TIFF has several), or the one PIL image or array given."""
    import numpy as np

    from imagine_plugins.ocr.images import read_pages, to_rgb

    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise DataError("no such image file", where=str(path))
        return [(page.image, path, page.name) for page in read_pages(path)]
    if hasattr(source, "convert") and hasattr(source, "size"):  # a PIL image
        return [(to_rgb(source), None, "page")]
    array = np.asarray(source)
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise DataError(
            f"an image array must be H x W, H x W x 3 or H x W x 4, not {array.shape}",
            fix="pass an RGB array, a PIL image or a path",
        )
    return [(np.clip(array[..., :3], 0, 255).astype(np.uint8), None, "page")]


class Reader:
    """A model ready to read pages (see :func:`load`)."""

    def __init__(self, model: str | Path | None = None, **ocr: Any):
        from imagine_core.api import instantiate, load_detector
        from imagine_core.plugins import get_plugins
        from imagine_plugins.ocr.fill_in import fill_in_for

        pipeline, self.detector = load_detector(None if model is None else Path(model))
        self.settings = type(pipeline.ocr)()
        self.settings.CopyFrom(pipeline.ocr)
        for key, value in ocr.items():  # e.g. min_score=0.5, direction="rtl"
            if key not in self.settings.DESCRIPTOR.fields_by_name:
                raise ConfigError(f"ocr has no setting {key!r}", where=f"load(..., {key}=)")
            setattr(self.settings, key, value)
        registry = get_plugins().registry

        def part(kind: str, name: str) -> Any:
            return instantiate(registry.get(kind, name, where=f"ocr.{kind}"), self.settings, None)

        self.page_reader = part("page_reader", self.settings.page_reader)
        self.assembler = part("text_assembler", self.settings.text_assembler)
        self.writers = {name: part("writer", name) for name in ("hocr", "alto", "page", "json")}
        self.fill = fill_in_for(self.settings, list(getattr(self.detector, "names", [])))

    def read(self, source: Any) -> ReadPage:
        """One page: a path (the first page of a multi-page TIFF), PIL image or array."""
        return self._read(_images(source)[:1])[0]

    def read_many(self, sources: Iterable[Any]) -> list[ReadPage]:
        """Many pages (every page of each file), their tiles detected in shared batches
        (``ocr.batch_size``)."""
        return self._read([image for source in sources for image in _images(source)])

    def _read(self, images: list[tuple[Any, Path | None, str]]) -> list[ReadPage]:
        found = self.page_reader.read(self.detector, [image for image, _, _ in images])
        if self.fill is not None:  # ocr.fill_from: the characters this model does not know
            pairs = zip(images, found, strict=True)
            found = [self.fill(image, glyphs) for (image, _, _), glyphs in pairs]
        direction = self.settings.direction
        return [
            ReadPage(
                Page(
                    name=name,
                    width=image.shape[1],
                    height=image.shape[0],
                    # The page reader already drops glyphs below ocr.min_score.
                    regions=self.assembler.assemble(glyphs, direction),
                    image_path=path,
                    direction=direction,
                ),
                self.writers,
            )
            for (image, path, name), glyphs in zip(images, found, strict=True)
        ]


def load(model: str | Path | None = None, **ocr: Any) -> Reader:
    """A reader for a run folder of ``imagine run`` (its newest checkpoint), a model
    written by ``imagine export`` (SavedModel or TFLite) or a shipped model's name (none:
    ``base``, the model imagine ships); keyword arguments override the model's ``ocr``
    settings (``min_score=0.5``, ``direction="rtl"`` …)."""
    return Reader(model, **ocr)


def pipeline(overrides: Iterable[str] = (), config_name: str = "config") -> Any:
    """The pipeline ``imagine run OVERRIDES`` would run: composed by Hydra from the bundled
    config groups, checked against the schema and the plugins, as a locked protobuf."""
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import build_pipeline
    from imagine_core.plugins import get_plugins

    plugins = get_plugins()
    built, _ = build_pipeline(compose(list(overrides), config_name=config_name), plugins)
    return built


def pipeline_from_dict(data: Mapping[str, Any]) -> Any:
    """A pipeline from a dict shaped like ``pipeline.config`` (fields left out keep their
    defaults), checked against the schema; a wrong key or type raises ConfigError."""
    from imagine_core.config.convert import dict_to_message
    from imagine_core.plugins import get_plugins
    from imagine_core.schema import pipeline_class

    return dict_to_message(data, pipeline_class(), registry=get_plugins().registry)
