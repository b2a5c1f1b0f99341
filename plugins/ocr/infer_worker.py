"""One ``imagine infer`` worker (a Ray actor): it loads the model once, reads each page
it is given exactly as ``imagine ocr`` does, and hands back the page's output files as
bytes. The driver writes them, so workers never need the output folder, and a page that
cannot be read comes back as a row naming it instead of stopping the batch."""

from __future__ import annotations

import os
import socket
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from imagine_core.api import ImagineError

TFRECORD = "tfrecord"
IMAGES_RECORD_FILE = "detections.tfrecord"  # where pages read from image files go


@dataclass
class Item:
    """What a worker is given: an image file, or one record of a TFRecord file."""

    source: str
    stem: str = ""  # an image file's output stem (unique among the inputs)
    index: int = -1  # a record's place in its file
    data: bytes = b""  # a record
    error: str = ""  # the input could not be read at all (a damaged TFRecord)


@dataclass
class Output:
    """One page read (or not): its output files and what the summary counts."""

    name: str
    source: str
    files: list[str] = field(default_factory=list)  # page files, relative to --out
    blobs: list[bytes] = field(default_factory=list)
    record_file: str = ""  # the TFRecord (in --out) its Example goes to
    record: bytes = b""
    glyphs: int = 0
    score: float = 0.0  # sum of the glyphs' scores
    uncertain: int = 0
    seconds: float = 0.0
    error: str = ""
    worker: str = ""


def _limit_threads(threads: int) -> None:
    """TensorFlow would take every core for each worker; N workers share them."""
    if threads > 0:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))


class PageWorker:
    """Called by Ray Data with a batch of items (columns of ``Item``), it returns the
    columns of ``Output``: one row per page (a multi-page TIFF gives several)."""

    def __init__(
        self, model: str, settings: bytes, formats: list[str], threads: int = 0,
        ids: dict[str, int] | None = None,
    ):  # fmt: skip
        _limit_threads(threads)
        from imagine_core.api import load_detector
        from imagine_plugins.ocr.command import Reading, components
        from imagine_plugins.ocr.fill_in import fill_in_for

        pipeline, detector = load_detector(Path(model))
        self.settings = type(pipeline.ocr).FromString(settings)
        del self.settings.output_formats[:]
        self.settings.output_formats.extend(f for f in formats if f != TFRECORD)
        reader, assembler, writers = components(self.settings)
        fill = fill_in_for(self.settings, list(detector.names))
        self.reading = Reading(detector, reader, assembler, writers, self.settings, Path(), fill)
        self.tfrecord = TFRECORD in formats
        # Detection ids: the records' own label map where they come with one, else the model's.
        self.ids = ids if ids is not None else {n: i for i, n in enumerate(detector.names) if i}
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        count = len(batch["source"])
        items = [Item(**{key: _plain(batch[key][i]) for key in batch}) for i in range(count)]
        rows = [asdict(output) for item in items for output in self._outputs(item)]
        return {f.name: [row[f.name] for row in rows] for f in fields(Output)}

    def _outputs(self, item: Item) -> list[Output]:
        try:
            if item.error:
                raise ImagineError(item.error)
            return self._record(item) if item.index >= 0 else self._image_file(item)
        except Exception as exc:  # one bad page never stops the batch
            if not isinstance(exc, ImagineError):
                exc = ImagineError(f"cannot be read ({type(exc).__name__}: {exc})")
            name = Path(item.source).name + (f" record {item.index}" if item.index >= 0 else "")
            return [Output(name, item.source, error=str(exc), worker=self.worker)]

    def _image_file(self, item: Item) -> list[Output]:
        from imagine_plugins.ocr.images import read_pages
        from imagine_plugins.ocr.infer_records import new_example

        path = Path(item.source)
        data = path.read_bytes() if self.tfrecord else None  # read once: decoded and kept
        outputs = []
        for image in read_pages(path, item.stem, data=data):
            output, page = self._read(image, of_many=image.count > 1)
            if self.tfrecord:
                example = new_example(image.name + path.suffix, image.image, data)
                self._attach(output, page, example, IMAGES_RECORD_FILE)
            outputs.append(output)
        return outputs

    def _record(self, item: Item) -> list[Output]:
        from tensorflow.core.example import example_pb2

        from imagine_plugins.ocr.images import read_pages
        from imagine_plugins.ocr.infer_records import encoded_image

        source = Path(item.source)
        where = f"{source} record {item.index}"
        example = example_pb2.Example.FromString(item.data)
        stem = f"{source.stem}_{item.index:05d}"
        image = next(read_pages(source, stem, data=encoded_image(example, where)))
        output, page = self._read(image)
        if self.tfrecord:
            self._attach(output, page, example, source.name)
        return [output]

    def _attach(self, output: Output, page: Any, example: Any, record_file: str) -> None:
        """The page's glyphs as the example's TF OD detection keys, bound for
        ``record_file`` in --out."""
        from imagine_plugins.ocr.infer_records import add_detections

        add_detections(example, page.glyphs, page.width, page.height, self.ids)
        output.record_file = record_file
        output.record = example.SerializeToString()

    def _read(self, image: Any, of_many: bool = False) -> tuple[Output, Any]:
        """Read one page; the page-format writers write into a scratch folder whose files
        come back as bytes."""
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="imagine-infer-") as scratch:
            self.reading.out = Path(scratch)
            page = self.reading.page(image, of_many=of_many)
            written = sorted(p for p in Path(scratch).rglob("*") if p.is_file())
            files = [str(p.relative_to(scratch)) for p in written]
            blobs = [p.read_bytes() for p in written]
        glyphs = page.glyphs
        output = Output(
            name=page.name,
            source=str(image.path),
            files=files,
            blobs=blobs,
            glyphs=len(glyphs),
            score=sum(g.score for g in glyphs),
            uncertain=sum(g.uncertain for g in glyphs),
            seconds=time.perf_counter() - start,
            worker=self.worker,
        )
        return output, page


def _plain(value: Any) -> Any:
    """NumPy scalars (how Ray Data hands columns over) as Python values."""
    return value.item() if hasattr(value, "item") and not isinstance(value, bytes) else value
