"""``imagine data check|convert|demo|synth``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imagine_core.api import Command, LabelMap, err, out, reader_for, reader_formats, writer_names
from imagine_plugins.datatools.checks import POLICIES, Checker


def _source_arguments(parser: argparse.ArgumentParser, on_error: str = "strict") -> None:
    formats = sorted(reader_formats())
    parser.add_argument(
        "source",
        help="a folder, file or pattern in a format a loaded reader reads: " + ", ".join(formats),
    )
    parser.add_argument(
        "--format", choices=formats, help="the source format (default: the reader that claims it)"
    )
    parser.add_argument(
        "--on-error",
        choices=POLICIES,
        default=on_error,
        help="strict: stop at the first problem; skip: leave out what is wrong; "
        f"repair: clip, swap and deduplicate boxes (default: {on_error})",
    )
    parser.add_argument("--label-map", help="a label_map.pbtxt the labels must come from")


def _overwrite_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write even when the output folder is, or holds, the source (its files may be "
        "replaced)",
    )


class DataCheck(Command):
    help = "report images, boxes per character, box sizes and every problem"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        _source_arguments(parser, on_error="skip")
        parser.add_argument("--top", type=int, default=60, help="classes to list (default 60)")

    def run(self, args: argparse.Namespace) -> int:
        from imagine_plugins.datatools.report import print_report

        label_map = LabelMap.read(args.label_map) if args.label_map else None
        checker = Checker(args.on_error, label_map)
        result = checker.run(reader_for(args.source, args.format), progress="checking")
        print_report(result, args.source, top=args.top)
        problems = result.count("skipped") + result.count("dropped") + result.count("repaired")
        return 2 if problems and args.on_error != "repair" else 0


class DataConvert(Command):
    help = (
        "convert between the formats of the loaded readers and writers (LabelImg, YOLO, "
        "COCO, TFRecord …); split; write label_map.pbtxt"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        _source_arguments(parser)
        parser.add_argument("--to", required=True, help=", ".join(writer_names()))
        parser.add_argument("out", type=Path, help="the output folder")
        parser.add_argument("--shards", type=int, default=1, help="TFRecord shards per split")
        parser.add_argument("--split", help="hold out a fraction, e.g. val=0.1")
        parser.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")
        _overwrite_argument(parser)

    def run(self, args: argparse.Namespace) -> int:
        from imagine_plugins.datatools.convert import convert

        done = convert(
            args.source,
            args.out,
            args.to,
            fmt=args.format,
            shards=args.shards,
            split=args.split,
            seed=args.seed,
            on_error=args.on_error,
            label_map_path=args.label_map,
            overwrite=args.overwrite,
        )
        for issue in done.check.issues:
            err.print(f"{issue.action}: {issue.where}: {issue.what}", markup=False)
        for split, files in done.written.items():
            out.print(f"{split}: {len(files)} files in {args.out}", markup=False)
        out.print(
            f"label map: {len(done.label_map)} classes -> {args.out / 'label_map.pbtxt'}",
            markup=False,
        )
        left_out = done.check.count("skipped") + done.check.count("dropped")
        if left_out:
            err.print(
                f"[bold red]{left_out} item(s) or box(es) of {args.source} were left out[/] "
                "(listed above)",
                highlight=False,
            )
        return 2 if left_out else 0


class DataDemo(Command):
    help = "generate the demo corpus: pages of real text with a LabelImg box per glyph"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        from imagine_plugins.datatools.demo.degrade import STEPS

        # Defaults are the demo_corpus reader's (demo.proto): one source for both.
        parser.add_argument("out", type=Path, help="the output folder")
        parser.add_argument("--train-pages", type=int, help="pages to train on (16)")
        parser.add_argument("--eval-pages", type=int, help="held-out pages (4)")
        parser.add_argument(
            "--font", help=".ttf/.otf files, comma-separated, each page set in one "
            "(default: DejaVu Serif)",
        )  # fmt: skip
        parser.add_argument(
            "--scripts", help="comma list of latin, latin-old (long s), greek, cyrillic: the "
            "text transliterated, each page in one the font draws (latin)",
        )  # fmt: skip
        parser.add_argument(
            "--capitals", type=float, help="share of words in capitals (in runs), 0..1 (0)"
        )
        parser.add_argument(
            "--extras", type=float, help="share of words given what running print has and "
            "the texts lack: every digit, brackets, quotes, signs, accents; 0..1 (0)",
        )  # fmt: skip
        parser.add_argument("--size-range", help="glyph size range in px (18,28)")
        parser.add_argument("--line-spacing", type=float, help="(1.5)")
        parser.add_argument("--columns", type=int, help="(1)")
        parser.add_argument(
            "--degrade",
            dest="degradations",
            help=f"'all' (default), 'none' or a comma list of: {', '.join(STEPS)}",
        )
        parser.add_argument("--strength", type=float, help="0 (clean) .. 1 (0.7)")
        parser.add_argument("--width", type=int, help="page width in px (768)")
        parser.add_argument("--height", type=int, help="page height in px (1024)")
        parser.add_argument("--seed", type=int, help="(0)")

    def run(self, args: argparse.Namespace) -> int:
        from imagine_core.api import ImagineError
        from imagine_plugins.datatools.demo.corpus import write_corpus
        from imagine_plugins.datatools.demo.reader import style_of
        from imagine_plugins.datatools.plugin import demo_messages

        given = {
            key: value
            for key, value in vars(args).items()
            if value is not None
            and key
            in (
                "train_pages",
                "eval_pages",
                "font",
                "scripts",
                "capitals",
                "extras",
                "line_spacing",
                "columns",
                "degradations",
                "strength",
                "width",
                "height",
                "seed",
            )
        }
        if args.size_range:
            try:
                given["min_font_size"], given["max_font_size"] = (
                    int(v) for v in args.size_range.split(",")
                )
            except ValueError:
                raise ImagineError(
                    f"--size-range {args.size_range!r} is not MIN,MAX",
                    fix="e.g. --size-range 18,28",
                ) from None
        params = demo_messages().DemoCorpus(**given)
        folder = write_corpus(
            args.out,
            style_of(params),
            train=params.train_pages,
            eval_=params.eval_pages,
            seed=params.seed,
        )
        out.print(
            f"demo corpus: {params.train_pages} train and {params.eval_pages} eval pages in "
            f"{folder} (LabelImg XML, .gt.txt, label_map.pbtxt; each page's font and script "
            "in corpus.json)",
            markup=False,
        )
        return 0


class DataFonts(Command):
    help = "the installed faces that draw a script, by family (as the fonts name them)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "folders", type=Path, nargs="*",
            help="folders searched for .ttf/.otf (default: the system's, the user's, "
            "matplotlib's)",
        )  # fmt: skip
        parser.add_argument("--script", default="latin", help="latin (default), latin-old, "
                            "greek or cyrillic: every letter drawn")  # fmt: skip
        parser.add_argument("--json", type=Path, help="also write {family: [faces]} here")

    def run(self, args: argparse.Namespace) -> int:
        import json

        from imagine_plugins.datatools.demo.faces import default_folders, find_faces

        families = find_faces(args.folders or default_folders(), args.script)
        for name, faces in families.items():
            out.print(f"{name}: {len(faces)} face(s)", markup=False)
        out.print(f"{len(families)} famil(ies) draw {args.script}", markup=False)
        if args.json:
            args.json.write_text(json.dumps(families, indent=1), encoding="utf-8")
        return 0


class DataSynth(Command):
    help = "compose many training pages from a few marked glyphs (few-shot synthesis)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        _source_arguments(parser, on_error="repair")
        parser.add_argument("out", type=Path, help="the output folder")
        parser.add_argument("--pages", type=int, default=200, help="pages to compose (200)")
        parser.add_argument(
            "--eval-pages",
            type=int,
            help="held-out pages composed with another seed, in OUT/eval (default: a tenth, "
            "at least 2)",
        )
        parser.add_argument(
            "--marked-copies",
            type=int,
            help="times each marked page joins OUT/train, unmarked ink ignored (default: "
            "so that marked pages are about a tenth of the training pages; 0: never)",
        )
        parser.add_argument("--words", type=Path, help="a word list (UTF-8, whitespace separated)")
        parser.add_argument("--alphabet", help="characters to draw random text from")
        parser.add_argument(
            "--to", default="labelimg", help="labelimg (default), tfrecord, coco, yolo"
        )
        parser.add_argument("--size", default="512,512", help="page size WIDTH,HEIGHT in px")
        parser.add_argument("--shards", type=int, default=1)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--preview",
            type=int,
            default=4,
            help="pages written with their boxes drawn to OUT/preview (4; 0: none)",
        )
        _overwrite_argument(parser)

    def run(self, args: argparse.Namespace) -> int:
        from itertools import islice

        from imagine_plugins.datatools.checks import labels_of
        from imagine_plugins.datatools.convert import refuse_output_over_source
        from imagine_plugins.datatools.synth import marked_pages, preview

        size = _page_size(args.size)
        if not args.overwrite:
            refuse_output_over_source(args.source, args.out)
        marked, label_map, source = _marked_source(args)
        eval_count = args.eval_pages if args.eval_pages is not None else max(2, args.pages // 10)
        copies = (
            args.marked_copies
            if args.marked_copies is not None
            else max(1, round(args.pages / 9 / max(len(marked), 1)))
        )
        args.out.mkdir(parents=True, exist_ok=True)
        label_map.write(args.out / "label_map.pbtxt")
        shown = _write_splits(args, source, marked, label_map, size, copies, eval_count)
        if args.preview:
            marked_shown = list(islice(marked_pages(marked, source, 1), 1))
            preview(shown + marked_shown, args.out / "preview")
        out.print(
            f"{args.pages} pages from {sum(1 for _ in labels_of(marked))} marked glyphs, "
            f"{len(marked)} marked page(s) x {copies} (unmarked ink ignored) in "
            f"{args.out / 'train'}; {eval_count} held-out pages in {args.out / 'eval'}"
            + (f"; previews in {args.out / 'preview'}" if args.preview else ""),
            markup=False,
        )
        return 0


def _page_size(text: str) -> tuple[int, int]:
    from imagine_core.api import ImagineError

    try:
        width, height = (int(v) for v in text.split(","))
        assert min(width, height) >= 64
    except (ValueError, AssertionError):
        raise ImagineError(f"--size {text!r} is not WIDTH,HEIGHT (>= 64 px)") from None
    return width, height


def _marked_source(args: argparse.Namespace) -> tuple[list[Any], LabelMap, Any]:
    """The marked pages (checked, what was done about each issue said), their label map,
    and the glyphs cut from them; an alphabet nobody marked is refused before writing."""
    from imagine_plugins.datatools.checks import labels_of
    from imagine_plugins.datatools.synth import labels_for, read_sources

    result = Checker(args.on_error).run(reader_for(args.source, args.format), progress="reading")
    for issue in result.issues:
        err.print(f"{issue.action}: {issue.where}: {issue.what}", markup=False)
    marked = result.examples
    label_map = (
        LabelMap.read(args.label_map) if args.label_map else LabelMap.from_names(labels_of(marked))
    )
    source = read_sources(marked)
    for where in source.faint:
        err.print(f"left out: {where}: no ink to cut in its box (too faint?)", markup=False)
    labels_for(source, args.alphabet)
    return marked, label_map, source


def _write_splits(
    args: argparse.Namespace,
    source: Any,
    marked: list[Any],
    label_map: LabelMap,
    size: tuple[int, int],
    copies: int,
    eval_count: int,
) -> list[Any]:
    """Write the composed training pages (with the marked pages) and the held-out ones;
    return the first ``--preview`` composed pages, to draw."""
    from itertools import chain

    from rich.progress import track

    from imagine_core.api import writer_for
    from imagine_plugins.datatools.synth import marked_pages, read_words, synthesise

    words = read_words(args.words)

    def composed(count: int, seed: int, name: str):
        return synthesise(
            source, count, words=words, alphabet=args.alphabet, size=size, seed=seed, name=name
        )

    shown: list = []

    def keep_some(examples):
        for example in examples:
            if len(shown) < args.preview and not example.filename.startswith("marked_"):
                shown.append(example)
            yield example

    writer = writer_for(args.to)
    train = chain(composed(args.pages, args.seed, "synth"), marked_pages(marked, source, copies))
    total = args.pages + copies * len(marked)
    train = track(keep_some(train), total=total, description="composing", console=err)
    writer.write(train, args.out, label_map, split="train", shards=args.shards)
    held_out = composed(eval_count, args.seed + 7919, "heldout")
    writer.write(held_out, args.out, label_map, split="eval", shards=args.shards)
    return shown
