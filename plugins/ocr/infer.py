"""``imagine infer``: many pages read in parallel on Ray Data (the TF OD API's
``infer_detections`` role). Image files or TFRecords in; the detections written into
the TFExamples (``image/detection/*``) or JSON, hOCR, ALTO, PAGE, text per page out.

The pipeline is Ray Data's: the inputs become rows, TFRecord files are read by Ray
tasks, a pool of ``--workers`` actors (processes, on this machine or on a Ray cluster
with ``--address``) each load the model once and read the pages they are handed, and
the driver writes what comes back. Apache Beam was the first choice; it needs
``protobuf<7`` (apache-beam 2.77), which TensorFlow 2.20's stack here does not allow
(see docs/ocr.md).
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from imagine_core.api import Command, ImagineError, shown
from imagine_plugins.ocr.infer_output import Outputs
from imagine_plugins.ocr.infer_worker import TFRECORD

PAGE_FORMATS = ("json", "hocr", "alto", "page", "txt", "overlay")


class Infer(Command):
    help = "read many pages in parallel (Ray Data): detections into TFRecords, or files per page"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        from imagine_plugins.ocr.command import add_reading_arguments

        parser.add_argument(
            "inputs", nargs="+", type=Path, help="TFRecord files, page images, or folders of them"
        )
        parser.add_argument(
            "--model", type=Path, required=True, help="a run folder of `imagine run`, or an export"
        )
        parser.add_argument("--out", type=Path, default=Path("inferred"), help="output folder")
        parser.add_argument(
            "--format",
            help=f"comma-separated: {TFRECORD} (the input records with image/detection/* "
            f"added; for image files one {TFRECORD} of them), {', '.join(PAGE_FORMATS)} "
            f"(default: {TFRECORD} for TFRecord inputs, json for images)",
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="worker processes, each with the model"
        )
        parser.add_argument(
            "--cpus-per-worker",
            type=float,
            help="cores each worker may use (default: this machine's cores / --workers)",
        )
        parser.add_argument(
            "--address",
            help="a running Ray cluster to read on (`auto`, `ray://HEAD:10001`); every node "
            "needs imagine installed and the inputs and model at the same paths",
        )
        parser.add_argument(
            "--overwrite", action="store_true", help="replace output files already in --out"
        )
        add_reading_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        from imagine_core.api import model_config
        from imagine_plugins.ocr.command import ocr_settings

        kind, files = _inputs(args.inputs)
        formats = _formats(args.format, kind)
        pipeline, names = model_config(args.model)
        args.format = None  # the workers' writers are the page formats of --format
        settings = ocr_settings(pipeline.ocr, args)
        workers, cpus = _workers(args)
        label_map = records_label_map(files, names) if kind == "records" else None
        outputs = Outputs(args.out, files, kind, formats, names, args.overwrite, label_map)
        ids = label_map.ids if label_map is not None else None
        with _ray(args.address, workers, cpus):
            rows = _dataset(kind, files, args.model, settings, formats, workers, cpus, ids)
            return outputs.write_all(rows, workers)


def records_label_map(files: list[Path], names: list[str]) -> Any:
    """The label map the input records' class ids follow (``label_map.pbtxt`` beside
    them, as `imagine data convert` writes it), or None. Detections are written in its
    ids, not the model's, so that `imagine eval --detections` compares like with like."""
    from imagine_core.api import LabelMap, err

    found = {f.parent / "label_map.pbtxt" for f in files}
    maps = [path for path in sorted(found) if path.is_file()]
    if len(maps) != 1 or len(found) != 1:
        return None
    label_map = LabelMap.read(maps[0])
    known = sum(name in label_map.ids for name in names[1:])
    err.print(
        f"detections take the class ids of the records' label map ({maps[0]}): {known} of "
        f"the model's {len(names) - 1} characters are in it, the others are written as id 0",
        markup=False,
    )
    return label_map


def _inputs(paths: list[Path]) -> tuple[str, list[Path]]:
    """``("records", files)`` or ``("images", files)``; the two kinds are not mixed."""
    from imagine_plugins.ocr.images import page_files
    from imagine_plugins.ocr.infer_records import is_record_file

    records: list[Path] = []
    images: list[Path] = []
    for path in paths:
        if path.is_dir() and any(is_record_file(p) for p in path.iterdir() if p.is_file()):
            records.extend(sorted(p for p in path.iterdir() if p.is_file() and is_record_file(p)))
        elif path.is_file() and is_record_file(path):
            records.append(path)
        else:
            images.extend(page_files([path]))
    if records and images:
        raise ImagineError(
            f"TFRecords ({shown(records[0])}) and page images ({shown(images[0])}) given together",
            where="imagine infer INPUTS",
            fix="infer on each kind in its own command",
        )
    return ("records", records) if records else ("images", images)


def _formats(option: str | None, kind: str) -> list[str]:
    if not option:
        return [TFRECORD if kind == "records" else "json"]
    formats = [f.strip() for f in option.split(",") if f.strip()]
    unknown = [f for f in formats if f not in (TFRECORD, *PAGE_FORMATS)]
    if unknown or not formats:
        raise ImagineError(
            f"unknown output format {unknown[0] if unknown else option!r}",
            where="--format",
            fix=f"choose from {TFRECORD}, {', '.join(PAGE_FORMATS)}",
        )
    return formats


def _workers(args: argparse.Namespace) -> tuple[int, float]:
    if args.workers < 1:
        raise ImagineError("needs at least one worker", where=f"--workers {args.workers}")
    cpus = args.cpus_per_worker
    if cpus is None:
        cpus = 1.0 if args.address else max(1.0, (os.cpu_count() or 1) // args.workers)
    if cpus <= 0:
        raise ImagineError("must be above 0", where=f"--cpus-per-worker {cpus}")
    return args.workers, cpus


@contextmanager
def _ray(address: str | None, workers: int, cpus: float) -> Iterator[None]:
    """A Ray session: a local one sized for the workers (and the reading tasks, which
    take no core), or the cluster at ``address``."""
    try:
        import ray
    except ImportError:
        raise ImagineError(
            "imagine infer runs on Ray Data, which is not installed",
            fix="pip install 'imagine-ocr[infer]'",
        ) from None
    if ray.is_initialized():  # a caller's own session (the Python API, a notebook)
        yield
        return
    # Ray Data keeps each actor's constructor in the object store, which Ray's core logs
    # as an error per worker (ray-project/ray#53727); whatever fails reaches Python.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    # Ray starts its workers at nice 15, behind everything else on the machine; here
    # they are the job (at 15 a page took 3-4 times as long beside other work).
    os.environ.setdefault("RAY_worker_niceness", "0")
    local = {"num_cpus": max(os.cpu_count() or 1, int(workers * cpus + 0.999))}
    _start_ray(ray, address=address, **({} if address else local))
    try:
        yield
    except ray.exceptions.RayError as exc:
        raise ImagineError(
            f"a worker failed: {_first_line(exc)}",
            where="imagine infer",
            fix="fewer --workers or a smaller --batch-size if it ran out of memory; Ray's "
            "logs are in /tmp/ray/session_latest/logs",
        ) from None
    finally:
        ray.shutdown()


def _start_ray(ray: Any, **settings: Any) -> None:
    """ray.init, tried twice: on a loaded machine Ray's own processes can miss their
    start-up deadline once (then it raises from deep inside), and a second start usually
    makes it. Failing twice is one message."""
    for attempt in (1, 2):
        try:
            ray.init(
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
                **settings,
            )
            return
        except Exception as exc:  # Ray raises many kinds here; each means "did not start"
            ray.shutdown()
            if attempt == 2:
                where = settings.get("address") or "a local Ray session"
                raise ImagineError(
                    f"Ray did not start: {_first_line(exc)}",
                    where=f"imagine infer ({where})",
                    fix="rerun when the machine is less busy, or start Ray yourself "
                    "(`ray start --head`) and pass --address auto",
                ) from None


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _dataset(
    kind: str, files: list[Path], model: Path, settings: Any, formats: list[str], workers: int,
    cpus: float, ids: dict[str, int] | None = None,
) -> Any:  # fmt: skip
    """Rows of ``infer_worker.Output``, in the order of the inputs."""
    import ray.data as rd

    from imagine_plugins.ocr.images import output_stems, resolved
    from imagine_plugins.ocr.infer_records import records
    from imagine_plugins.ocr.infer_worker import Item, PageWorker

    context = rd.DataContext.get_current()
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True  # record i out is record i in
    context.target_max_block_size = 64 * 1024  # a page or so per block: spread over workers
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    if kind == "records":
        sources = [{"source": str(resolved(f))} for f in files]
        rows = rd.from_items(sources).flat_map(records, num_cpus=0)  # reading takes no core
    else:
        stems = output_stems(files)
        items = [Item(str(resolved(f)), stem=stems[f]).__dict__ for f in files]
        rows = rd.from_items(items, override_num_blocks=len(items))
    return rows.map_batches(
        PageWorker,
        fn_constructor_args=(str(model.resolve()), settings.SerializeToString(), formats),
        fn_constructor_kwargs={"threads": int(cpus), "ids": ids},
        batch_size=1,
        compute=rd.ActorPoolStrategy(size=workers),
        num_cpus=cpus,
    ).iter_rows()
