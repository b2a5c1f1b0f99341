"""Where ``imagine infer`` writes: checked before any worker starts (nothing of the
user's is replaced unasked, no input is written over), then filled as pages come back.
TFRecords are written under a hidden partial name and moved into place when complete,
so an interrupted inference leaves no truncated record file behind."""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from imagine_core.api import EXIT_USER_ERROR, ImagineError, shown, write_atomic
from imagine_plugins.ocr.infer_worker import IMAGES_RECORD_FILE, TFRECORD


class Outputs:
    """The output folder of one ``imagine infer``: what may be written there, the record
    writers, and what was read and what failed, for the summary."""

    def __init__(
        self,
        out: Path,
        inputs: list[Path],
        kind: str,
        formats: list[str],
        names: list[str],
        overwrite: bool,
        label_map: Any = None,
    ):
        self.out = out
        self.names = names
        self.label_map = label_map  # the records' own, when the detections follow it
        self.records = TFRECORD in formats
        self.page_formats = [f for f in formats if f != TFRECORD]
        self.total = len(inputs) if kind == "images" else None
        self._refuse(inputs, kind, overwrite)
        self._writers: dict[str, Any] = {}
        self._written: dict[str, str] = {}  # output file -> the page it is of
        self.failed: list[tuple[str, str]] = []
        self.pages: list[dict[str, Any]] = []

    def _refuse(self, inputs: list[Path], kind: str, overwrite: bool) -> None:
        from imagine_plugins.ocr.command import refuse_source_folder

        if self.page_formats and kind == "images" and not overwrite:
            refuse_source_folder(inputs, self.out)
        if not self.records:
            return
        targets = [p.name for p in inputs] if kind == "records" else [IMAGES_RECORD_FILE]
        twice = [name for name, n in Counter(targets).items() if n > 1]
        if twice:
            raise ImagineError(
                f"two input files are named {twice[0]}: their outputs would be one file",
                where=str(self.out),
                fix="infer on each folder with its own --out",
            )
        sources = {p.resolve() for p in inputs}
        for name in [*targets, "label_map.pbtxt"]:
            target = self.out / name
            if target.resolve() in sources:
                raise ImagineError(
                    "the output would be written over an input being read",
                    where=str(target),
                    fix="choose another --out folder",
                )
            if target.exists() and not overwrite and not self._same_label_map(target):
                raise ImagineError(
                    "already exists",
                    where=str(target),
                    fix="choose another --out folder, or pass --overwrite to replace it",
                )

    def _label_map(self) -> str:
        from imagine_core.api import LabelMap

        if self.label_map is not None:
            return self.label_map.to_text()
        return LabelMap.from_names(self.names[1:]).to_text()

    def _same_label_map(self, target: Path) -> bool:
        return target.name == "label_map.pbtxt" and target.read_text() == self._label_map()

    def write_all(self, rows: Iterable[dict[str, Any]], workers: int) -> int:
        """Write every page's outputs as it comes back, then print the summary; exit 2
        when a page could not be read (it is named, the others are written)."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        from imagine_core.api import err

        self.out.mkdir(parents=True, exist_ok=True)
        if self.records:  # imagine eval --detections reads the ids with it
            write_atomic(self.out / "label_map.pbtxt", self._label_map())
        start = time.perf_counter()
        columns = ["[progress.description]{task.description}", BarColumn(), MofNCompleteColumn()]
        try:
            with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
                task = bar.add_task("reading pages", total=self.total)
                for row in rows:
                    self._take(row)
                    bar.update(task, description=f"read {row['name']}", advance=1)
            self._finish()
        finally:
            self._discard_partials()
        self._summary(time.perf_counter() - start, workers)
        return self._report_failures()

    def _take(self, row: dict[str, Any]) -> None:
        from imagine_core.api import err

        if row["error"]:
            self.failed.append((row["name"], row["error"]))
            err.print(f"[red]not read:[/red] {shown(row['name'])}: {row['error']}", highlight=False)
            return
        clash = next((f for f in row["files"] if f in self._written), None)
        if clash:
            self._take({**row, "error": f"its {clash} is already {self._written[clash]}'s"})
            return
        for name, blob in zip(row["files"], row["blobs"], strict=True):
            target = self.out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, blob)  # as imagine ocr: a symlink there is replaced
            self._written[name] = row["name"]
        if row["record_file"]:
            self._record_writer(row["record_file"]).write(row["record"])
        self.pages.append(row)

    def _record_writer(self, name: str) -> Any:
        if name not in self._writers:
            import tensorflow as tf

            self._writers[name] = tf.io.TFRecordWriter(str(self._partial(name)))
        return self._writers[name]

    def _partial(self, name: str) -> Path:
        return self.out / f".{name}.partial"

    def _finish(self) -> None:
        for name, writer in self._writers.items():
            writer.close()
            os.replace(self._partial(name), self.out / name)
        self._writers.clear()

    def _discard_partials(self) -> None:
        for name, writer in self._writers.items():
            writer.close()
            self._partial(name).unlink(missing_ok=True)

    def _summary(self, seconds: float, workers: int) -> None:
        from rich.table import Table

        from imagine_core.api import out as stdout

        per_worker = Counter(row["worker"] for row in self.pages)
        glyphs = sum(row["glyphs"] for row in self.pages)
        shares = sorted(per_worker.values(), reverse=True)
        shares += [0] * (workers - len(shares))
        table = Table(title=f"imagine infer → {self.out}")
        for column in ("pages", "glyphs", "mean confidence", "uncertain", "workers", "pages/s"):
            table.add_column(column, justify="right")
        table.add_row(
            str(len(self.pages)),
            str(glyphs),
            f"{sum(row['score'] for row in self.pages) / glyphs:.3f}" if glyphs else "-",
            str(sum(row["uncertain"] for row in self.pages)),
            f"{workers} ({' + '.join(str(n) for n in shares)} pages)",
            f"{len(self.pages) / seconds:.2f}" if seconds > 0 else "-",
        )
        stdout.print(table)
        if self.pages:
            mean = statistics.fmean(row["seconds"] for row in self.pages)
            stdout.print(f"{mean:.2f} s per page in a worker, {seconds:.1f} s in all")

    def _report_failures(self) -> int:
        from imagine_core.api import err

        if not self.failed:
            return 0
        err.print(f"[bold red]error:[/bold red] {len(self.failed)} pages or files not read:")
        for name, error in self.failed:
            err.print(f"  - {shown(name)}: {error}", highlight=False)
        return EXIT_USER_ERROR
