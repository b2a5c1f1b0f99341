"""``imagine fewshot MARKED PAGES… --out DIR``: the few-shot recipe in one resumable command.

Round 0 is the documented recipe (``data synth`` from the marks, ``run`` on the composed
pages). Each further round reads the document's pages with the last model, keeps the
glyphs it is sure of as marks beside the user's (``marks.write_marks``), composes again
and trains on from the last model. A document has hundreds of unmarked instances of every
glyph in its own ink, size and spacing: this is how the model learns from them.
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import asdict
from pathlib import Path

from imagine_core.api import Command, ImagineError, err, out
from imagine_plugins.fewshot.steps import DONE, add_overrides_argument, override
from imagine_plugins.fewshot.steps import imagine as _imagine

# Models the recipe makes read each place's character checked against the page's own sure
# glyphs (ocr.shape_weight, docs/ocr.md): measured on the tuning documents, where it paid.
SHAPE_WEIGHT = 4.0


class FewShot(Command):
    help = (
        "marked page(s) + the document's other pages -> a model: synthesis, training, then "
        "rounds of self-training on the pages (resumable)"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("marked", type=Path, help="the marked page(s): LabelImg folder")
        parser.add_argument(
            "pages", type=Path, nargs="+", help="the document's other pages (files, folders)"
        )
        parser.add_argument(
            "--out", type=Path, required=True,
            help="the recipe's folder, a subfolder per step; the same command resumes there",
        )  # fmt: skip
        parser.add_argument("--rounds", type=int, default=1, help="self-training rounds (1)")
        parser.add_argument(
            "--keep-score", type=float, default=0.8,
            help="glyphs read at least this sure become marks (0.8)",
        )  # fmt: skip
        parser.add_argument(
            "--size-tolerance", type=float, default=0.0,
            help="also keep only glyphs within this fraction of their character's marked "
            "width and height (0: off)",
        )  # fmt: skip
        parser.add_argument("--steps", type=int, default=1000, help="round 0's steps (1000)")
        parser.add_argument("--round-steps", type=int, default=400, help="later rounds' (400)")
        parser.add_argument("--synth-pages", type=int, default=200, help="composed pages (200)")
        parser.add_argument("--words", type=Path, help="a word list for data synth")
        add_overrides_argument(parser, "for every round")

    def run(self, args: argparse.Namespace) -> int:
        _check(args)
        args.out.mkdir(parents=True, exist_ok=True)
        rows = [_round_zero(args)]
        for round_ in range(1, args.rounds + 1):
            rows.append(_self_training_round(args, round_))
        last = args.out / f"round{args.rounds}"
        reading = _read(args, last, args.out / f"read{args.rounds}")
        _show(rows, reading)
        _show_estimate(args, last, reading)
        out.print(f"model: {last}\npages read with it: {reading}")
        return 0


def _check(args: argparse.Namespace) -> None:
    if not args.marked.is_dir():
        raise ImagineError(
            f"{args.marked} is not a folder", where="MARKED",
            fix="give the folder of the marked page(s) and their LabelImg XML",
        )  # fmt: skip
    for page in args.pages:
        if not page.exists():
            raise ImagineError(f"{page} does not exist", where="PAGES", fix="check the path")
        # Only a folder of pages is read whole: --out inside one would be read as pages.
        if page.is_dir() and args.out.resolve().is_relative_to(page.resolve()):
            raise ImagineError(
                f"--out {args.out} is inside {page}, which holds the pages: the next "
                "round would read the recipe's own files as pages",
                where="--out", fix="choose a folder outside the pages' folder",
            )  # fmt: skip
    if args.rounds < 0 or not 0.0 < args.keep_score <= 1.0 or args.size_tolerance < 0:
        raise ImagineError(
            "--rounds and --size-tolerance must be 0 or more, --keep-score in (0, 1]",
            where="imagine fewshot",
        )


def _round_zero(args: argparse.Namespace) -> dict:
    _synth(args, args.marked, args.out / "synth0")
    _train(args, args.out / "synth0", args.out / "round0", args.steps, [])
    return _row(0, args.out / "round0", None)


def _self_training_round(args: argparse.Namespace, round_: int) -> dict:
    from imagine_plugins.fewshot.marks import Kept, marked_sizes, write_marks

    last = args.out / f"round{round_ - 1}"
    reading = _read(args, last, args.out / f"read{round_ - 1}")
    marked, synth = args.out / f"marked{round_}", args.out / f"synth{round_}"
    if (synth / DONE).is_file():
        kept = Kept(**json.loads((synth / DONE).read_text() or "{}"))
    else:
        shutil.rmtree(marked, ignore_errors=True)  # the recipe's own folder, made again
        shutil.copytree(args.marked, marked)
        sizes = marked_sizes(args.marked) if args.size_tolerance else None
        kept = write_marks(reading, marked, args.keep_score, sizes, args.size_tolerance)
        err.print(
            f"round {round_}: {kept.marks} of {kept.glyphs} glyphs read at score >= "
            f"{args.keep_score} become marks, on {kept.pages} page(s)"
        )
        _synth(args, marked, synth, asdict(kept))
    fine_tune = [
        override("+train_config.fine_tune_checkpoint", last.resolve()),
        "+train_config.fine_tune_checkpoint_type=detection",
    ]
    _train(args, synth, args.out / f"round{round_}", args.round_steps, fine_tune)
    return _row(round_, args.out / f"round{round_}", kept)


def _synth(args: argparse.Namespace, marked: Path, synth: Path, note: dict | None = None) -> None:
    """``imagine data synth``; ``note`` (what the round kept) is saved with its DONE mark."""
    if (synth / DONE).is_file():
        return
    words = ["--words", str(args.words)] if args.words else []
    again = ["--overwrite"] if synth.exists() else []  # an unfinished one of ours
    _imagine("data", "synth", str(marked), str(synth), "--pages", str(args.synth_pages),
             *words, *again)  # fmt: skip
    (synth / DONE).write_text(json.dumps(note or {}))


def _train(args: argparse.Namespace, synth: Path, run: Path, steps: int, more: list) -> None:
    if (run / DONE).is_file():
        return
    ours = [] if _sets(args, "ocr.shape_weight") else [f"ocr.shape_weight={SHAPE_WEIGHT}"]
    _imagine("run", "dataset=labelimg", override("data_dir", synth.resolve()), f"steps={steps}",
             override("hydra.run.dir", run.resolve()), *more, *ours, *args.overrides)  # fmt: skip
    (run / DONE).touch()


def _sets(args: argparse.Namespace, key: str) -> bool:
    """Whether the user's ``--set`` overrides name ``key`` (theirs then stands alone)."""
    return any(o.lstrip("+~").split("=", 1)[0] == key for o in args.overrides)


def _read(args: argparse.Namespace, run: Path, read: Path, pages: list | None = None) -> Path:
    if not (read / DONE).is_file():
        pages = args.pages if pages is None else pages
        _imagine("ocr", "--model", str(run), *map(str, pages), "--out", str(read),
                 "--format", "txt,json")  # fmt: skip
        (read / DONE).touch()
    return read


def _row(round_: int, run: Path, kept) -> dict:
    found = run / "metrics.json"
    metrics = json.loads(found.read_text()) if found.is_file() else {}
    return {"round": round_, "kept": kept, "CER": metrics.get("CER")}


def _show(rows: list[dict], reading: Path) -> None:
    """Per round: the marks self-training added and the run's CER on its composed
    held-out pages; then how sure the last model was of the document's pages."""
    from rich.table import Table

    from imagine_plugins.fewshot.marks import confidence

    table = Table(title="imagine fewshot")
    for column in ("round", "marks added", "glyphs read", "CER (composed held-out pages)"):
        table.add_column(column, justify="right")
    for row in rows:
        kept = row["kept"]
        table.add_row(
            str(row["round"]),
            "-" if kept is None else str(kept.marks),
            "-" if kept is None else str(kept.glyphs),
            "-" if row["CER"] is None else f"{row['CER']:.3f}",
        )
    out.print(table)
    mean, uncertain = confidence(reading)
    out.print(
        f"the last model read the pages with mean confidence {mean:.3f}; "
        f"{uncertain:.1%} of the glyphs are marked uncertain"
    )


def _show_estimate(args: argparse.Namespace, last: Path, reading: Path) -> None:
    """The CER to expect on the document's pages (``estimate``: ATC), from the last model's
    reading of round 0's composed held-out pages, and the lines to correct first."""
    from imagine_plugins.fewshot.estimate import composed_cer, estimate

    composed = args.out / "synth0" / "eval"
    if not composed.is_dir():
        err.print("no composed held-out pages (synth0/eval): no estimate for the document")
        return
    read = _read(args, last, args.out / f"readeval{args.rounds}", [composed])
    cer = composed_cer(read, composed)
    found = estimate(read, cer, reading)
    (args.out / f"estimate{args.rounds}.json").write_text(json.dumps(asdict(found), indent=1))
    out.print(
        f"expected CER on these pages: [bold]{found.cer:.1%}[/bold] (the share of glyphs read "
        f"under score {found.threshold:.2f}, the score under which the composed held-out "
        f"pages' share equals their CER, {cer:.1%})"
    )
    for page, line, share in found.doubtful_lines:
        out.print(f"  check first: {page} {line} ({share:.0%} of its glyphs under that score)")
