"""The ``demo_corpus`` dataset reader: generates the demo corpus once, then reads it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imagine_core.api import (
    DatasetReader,
    Example,
    ImagineError,
    LabelMap,
    cache_dir,
    get_plugins,
    make,
)
from imagine_plugins.datatools.demo.corpus import DONE, corpus_key, write_corpus
from imagine_plugins.datatools.demo.degrade import STEPS
from imagine_plugins.datatools.demo.render import PageStyle


def parse_degradations(text: str) -> list[str]:
    text = text.strip()
    if text in ("", "all"):
        return list(STEPS)
    if text == "none":
        return []
    return [t.strip() for t in text.split(",") if t.strip()]


def style_of(params: Any) -> PageStyle:
    return PageStyle(
        width=params.width,
        height=params.height,
        font=params.font,
        min_size=params.min_font_size,
        max_size=params.max_font_size,
        line_spacing=params.line_spacing,
        columns=params.columns,
        degradations=parse_degradations(params.degradations),
        strength=params.strength,
        scripts=params.scripts,
        capitals=params.capitals,
        extras=params.extras,
    )


def _labelimg_reader(folder: Path) -> DatasetReader:
    """The corpus is written as LabelImg XML and read by the LabelImg reader of whichever
    plugin provides it (the bundled labelimg one), found in the registry."""
    record = get_plugins().registry.get(
        "dataset_reader", "labelimg_input_reader", where="the demo corpus reader"
    )
    return make(record, record.config_type(input_path=[str(folder)]))


class DemoCorpusReader(DatasetReader):
    def __init__(self, params: Any):
        if params.split not in ("train", "eval"):
            raise ImagineError(f"demo_corpus split must be 'train' or 'eval', not {params.split!r}")
        self.params = params
        self.style = style_of(params)
        key = corpus_key(self.style, params.train_pages, params.eval_pages, params.seed)
        self.folder = (
            Path(params.directory).expanduser() if params.directory else cache_dir() / "demo" / key
        )
        self._reader = _labelimg_reader(self.folder / params.split)

    def ensure(self) -> Path:
        """Generate the corpus unless a finished one is there."""
        if not (self.folder / DONE).is_file():
            p = self.params
            write_corpus(
                self.folder,
                self.style,
                train=p.train_pages,
                eval_=p.eval_pages,
                seed=p.seed,
                replace=False,
            )
        return self.folder

    def label_map(self) -> LabelMap:
        return LabelMap.read(self.ensure() / "label_map.pbtxt")

    def items(self) -> Iterator[Path]:
        self.ensure()
        return self._reader.items()

    def parse(self, item: Path) -> Example:
        return self._reader.parse(item)
