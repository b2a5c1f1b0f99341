"""``imagine ocr --model MODEL PAGES... --out DIR``: pages in, text and layout files out."""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagine_core.api import EXIT_USER_ERROR, Command, ImagineError, Page, shown
from imagine_plugins.ocr.checks import DIRECTIONS


class Ocr(Command):
    help = "read page images into text, hOCR, ALTO and PAGE XML (and LabelImg XML)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("pages", nargs="+", type=Path, help="page images or folders of them")
        parser.add_argument(
            "--model",
            type=Path,
            help="a run folder of `imagine run` (newest checkpoint), an exported model or "
            "the name of a shipped one (default: base, the model imagine ships)",
        )
        parser.add_argument("--out", type=Path, default=Path("ocr"), help="output folder")
        parser.add_argument(
            "--format",
            help="comma-separated writers (default: ocr.output_formats of the model's "
            "config: txt,hocr,alto,page,json,overlay)",
        )
        add_reading_arguments(parser)
        parser.add_argument(
            "--labelimg",
            action="store_true",
            help="also write each page's detections as LabelImg XML beside the image",
        )
        parser.add_argument(
            "--overwrite-labels",
            action="store_true",
            help="with --labelimg: replace XML files already beside the images",
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="write into --out even when it holds the pages being read (their .txt, "
            ".json … files may be replaced)",
        )

    def run(self, args: argparse.Namespace) -> int:
        from imagine_core.api import load_detector
        from imagine_plugins.ocr.images import page_files

        files = page_files(args.pages)
        if not args.overwrite:
            refuse_source_folder(files, args.out)
        pipeline, detector = load_detector(args.model)
        settings = ocr_settings(pipeline.ocr, args)
        return read_pages(files, detector, settings, args.out, args.overwrite_labels)


def add_reading_arguments(parser: argparse.ArgumentParser) -> None:
    """How pages are read, on top of the model's ``ocr`` settings (ocr and infer)."""
    parser.add_argument("--min-score", type=float, help="skip glyphs scoring below this")
    parser.add_argument(
        "--low-confidence", type=float, help="mark glyphs scoring below this as uncertain"
    )
    parser.add_argument("--direction", choices=DIRECTIONS, help="reading direction")
    parser.add_argument("--tile-size", type=int, help="tile side in pixels (0: model's)")
    parser.add_argument("--tile-overlap", type=int, help="tile overlap in pixels")
    parser.add_argument("--batch-size", type=int, help="tiles detected at once")
    parser.add_argument(
        "--scale-search",
        action=argparse.BooleanOptionalAction,
        help="choose each page's scale by the model's confidence (ocr.scale_search; on "
        "unless the model's settings say otherwise)",
    )
    parser.add_argument(
        "--fill-in",
        action=argparse.BooleanOptionalAction,
        help="let another model read the characters this model does not know: the one the "
        "run started from (ocr.fill_from; on where the run records one), else the shipped "
        "base model",
    )
    parser.add_argument(
        "--words",
        type=Path,
        help="a word list (UTF-8 text): words read with uncertain glyphs take the "
        "alternatives that spell a listed word (ocr.words)",
    )
    parser.add_argument(
        "--glyph-height",
        type=float,
        help="rescale each page so its glyphs are this tall in px (default: into the "
        "range the model was trained on, ocr.min/max_glyph_height; 0: read pages as "
        "they are)",
    )


def refuse_source_folder(files: list[Path], out: Path) -> None:
    """An output folder that holds the pages read would put NAME.txt, NAME.json … beside
    files of the user's (a YOLO label is NAME.txt): refused unless --overwrite."""
    from imagine_plugins.ocr.images import resolved

    target = out.resolve()
    inside = [f for f in files if target == resolved(f).parent or target in resolved(f).parents]
    if inside:
        raise ImagineError(
            f"the output folder holds pages being read (e.g. {inside[0]}): outputs named "
            "after them (NAME.txt, NAME.json …) could replace files of yours there",
            where=f"--out {out}",
            fix="choose another --out folder, or pass --overwrite to write there anyway",
        )


def ocr_settings(config: Any, args: argparse.Namespace) -> Any:
    """The model's ``ocr`` section with the command line's choices on top."""
    settings = type(config)()
    settings.CopyFrom(config)
    for option, field in (
        ("min_score", "min_score"),
        ("low_confidence", "low_confidence"),
        ("direction", "direction"),
        ("tile_size", "tile_size"),
        ("tile_overlap", "tile_overlap"),
        ("batch_size", "batch_size"),
    ):
        value = getattr(args, option, None)
        if value is not None:
            setattr(settings, field, value)
    if getattr(args, "scale_search", None) is not None:
        settings.scale_search = args.scale_search
    if getattr(args, "fill_in", None) is False:
        settings.fill_from = ""
    elif getattr(args, "fill_in", None) and not settings.fill_from:
        settings.fill_from = "base"  # the shipped model, for runs made before fill_from
    if getattr(args, "words", None) is not None:
        settings.words = str(args.words.expanduser().resolve())
    if getattr(args, "glyph_height", None) is not None:
        from imagine_plugins.ocr.scale import TALL

        settings.min_glyph_height = settings.max_glyph_height = args.glyph_height
        settings.glyph_height_percentile = TALL
    if args.format:
        del settings.output_formats[:]
        settings.output_formats.extend(f.strip() for f in args.format.split(",") if f.strip())
    elif not settings.output_formats:
        settings.output_formats.extend(["txt", "hocr", "alto", "page", "json", "overlay"])
    if getattr(args, "labelimg", False) and "labelimg" not in settings.output_formats:
        settings.output_formats.append("labelimg")
    if settings.direction not in DIRECTIONS:
        raise ImagineError(
            f"unknown reading direction {settings.direction!r}",
            where="ocr.direction",
            fix="use 'ltr' or 'rtl'",
        )
    return settings


def components(settings: Any) -> tuple[Any, Any, dict[str, Any]]:
    """The page reader, text assembler and writers the settings name, from the registry."""
    from imagine_core.api import get_plugins, instantiate

    registry = get_plugins().registry
    reader = instantiate(
        registry.get("page_reader", settings.page_reader, where="ocr.page_reader"), settings, None
    )
    assembler = instantiate(
        registry.get("text_assembler", settings.text_assembler, where="ocr.text_assembler"),
        settings,
        None,
    )
    writers = {
        name: instantiate(registry.get("writer", name, where="ocr.output_formats"), settings, None)
        for name in settings.output_formats
    }
    return reader, assembler, writers


def read_pages(
    files: list[Path], detector: Any, settings: Any, out: Path, overwrite_labels: bool = False
) -> int:
    """Read every page, write its outputs, print the summary. A page that cannot be read
    is named and skipped, the others are still read; the exit code is then 2."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from imagine_core.api import err
    from imagine_plugins.ocr.images import output_stems
    from imagine_plugins.ocr.images import read_pages as pages_of

    reader, assembler, writers = components(settings)
    if "labelimg" in writers:
        writers["labelimg"].overwrite = overwrite_labels
    fill = _fill_in(settings, detector)
    reading = Reading(detector, reader, assembler, writers, settings, out, fill)
    out.mkdir(parents=True, exist_ok=True)
    pages: list[Page] = []
    seconds: list[float] = []
    failed: list[tuple[Path, ImagineError]] = []
    stems = output_stems(files)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("reading pages", total=len(files))
        for path in files:
            try:
                for image in pages_of(path, stems[path]):
                    progress.update(task, description=f"reading {image.name}")
                    start = time.perf_counter()
                    pages.append(reading.page(image, of_many=image.count > 1))
                    seconds.append(time.perf_counter() - start)
            except Exception as exc:  # one bad page never stops the batch
                if not isinstance(exc, ImagineError):
                    exc = ImagineError(f"cannot be read ({type(exc).__name__}: {exc})")
                failed.append((path, exc))
                err.print(f"[red]not read:[/red] {shown(path)}: {exc}", highlight=False)
            progress.advance(task)
    _summary(pages, seconds, out)
    for path in getattr(writers.get("labelimg"), "kept", []):
        err.print(
            f"[yellow]kept[/] {path} (already there; its detections went to "
            f"{out / 'labelimg'}; --overwrite-labels replaces it)"
        )
    if failed:
        err.print(f"[bold red]error:[/bold red] {len(failed)} of {len(files)} files not read:")
        for path, exc in failed:
            err.print(f"  - {shown(path)}: {exc}", highlight=False)
        return EXIT_USER_ERROR
    return 0


@dataclass
class Reading:
    """Everything one page is read and written with."""

    detector: Any
    reader: Any
    assembler: Any
    writers: dict[str, Any]
    settings: Any
    out: Path
    fill: Any = None  # fill_in.FillIn: the characters the model lacks, from another

    def page(self, image: Any, of_many: bool = False) -> Page:
        """Detect, assemble and write one page; the returned page keeps no pixels."""
        (glyphs,) = self.reader.read(self.detector, [image.image])
        if self.fill is not None:
            glyphs = self.fill(image.image, glyphs)
        direction = self.settings.direction
        page = Page(
            name=image.name,
            width=image.image.shape[1],
            height=image.image.shape[0],
            regions=self.assembler.assemble(glyphs, direction),
            image_path=image.path,
            image=image.image,
            direction=direction,
            page_in_file=image.index if of_many else None,
        )
        for writer in self.writers.values():
            writer.write(page, self.out)
        page.image = None  # the summary needs no pixels
        return page


def _fill_in(settings: Any, detector: Any) -> Any:
    from imagine_core.api import err
    from imagine_plugins.ocr.fill_in import fill_in_for

    fill = fill_in_for(settings, list(getattr(detector, "names", [])))
    if fill is not None:
        err.print(
            f"characters this model does not know are filled in by {fill.name!r} "
            "(ocr.fill_from; --no-fill-in reads with this model alone)"
        )
    return fill


def _summary(pages: list[Page], seconds: list[float], out: Path) -> None:
    from rich.table import Table

    from imagine_core.api import out as stdout

    glyphs = [g for page in pages for g in page.glyphs]
    table = Table(title=f"imagine ocr → {out}")
    table.add_column("pages", justify="right")
    table.add_column("lines", justify="right")
    table.add_column("glyphs", justify="right")
    table.add_column("mean confidence", justify="right")
    table.add_column("uncertain", justify="right")
    table.add_column("s/page", justify="right")
    table.add_row(
        str(len(pages)),
        str(sum(len(p.lines) for p in pages)),
        str(len(glyphs)),
        f"{statistics.fmean(g.score for g in glyphs):.3f}" if glyphs else "-",
        str(sum(g.uncertain for g in glyphs)),
        f"{statistics.fmean(seconds):.2f}" if seconds else "-",
    )
    stdout.print(table)
