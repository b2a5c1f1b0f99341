"""``imagine base-model DIR``: a glyph model of many faces and scripts, trained once, for
few-shot runs to start from and for reading ordinary print out of the box.

The recipe is documented commands, each resumable: the installed faces are split by
family into training and held-out families (the few-shot benchmark's test faces are left
out entirely), ``imagine data demo`` sets the text in the training faces and in the
held-out ones, ``imagine run`` trains, ``imagine ocr`` reads the held-out families' pages,
and the CER of each held-out family is printed and kept in ``DIR/figures.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from imagine_core.api import Command, ImagineError, err, out
from imagine_plugins.fewshot.steps import (
    add_overrides_argument,
    done,
    imagine,
    mark_done,
    override,
)

# The few-shot benchmark's test faces (tests/benchmarks/heldout.py and bench_fewshot.py):
# a base model that had seen them would make its figures meaningless.
BENCHMARK_FACES = (
    "blankenburg", "gotico-antiqua", "kaushanscript", "complutum", "NotoSerifGeorgian",
    "NotoSansRunic", "NotoSansGothic", "NotoSansGlagolitic", "NotoSansOldItalic",
)  # fmt: skip
SCRIPTS = "latin,latin-old,greek,cyrillic"
EVAL_EVERY = 5  # every fifth design group, in name order, is held out for evaluation
CAPITALS = 0.15  # capitals are rare in running text; all-caps pages read at 72% without
EXTRAS = 0.1  # the texts have 4 digits and no bracket, quote or accent (dress.py)
PER_FAMILY = 4  # faces of one family used at most (its weights and slants, spread)


class BaseModel(Command):
    help = (
        "train the base glyph model: pages set in the installed faces and scripts, "
        "whole families held out and scored (resumable)"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("out", type=Path, help="the recipe's folder; run again to resume")
        parser.add_argument(
            "--fonts", type=Path, action="append",
            help="folders searched for .ttf/.otf faces (repeatable; default: the system's, "
            "the user's and matplotlib's)",
        )  # fmt: skip
        parser.add_argument(
            "--hold-out", help="families held out for evaluation, comma-separated, as the "
            f"fonts name them (default: every {EVAL_EVERY}th design group by name, a group "
            "being the families that share a first word)",
        )  # fmt: skip
        parser.add_argument("--scripts", default=SCRIPTS, help=f"({SCRIPTS})")
        parser.add_argument(
            "--capitals", type=float, default=CAPITALS,
            help=f"share of words set in capitals, in runs: headings, title pages ({CAPITALS})",
        )  # fmt: skip
        parser.add_argument(
            "--extras", type=float, default=EXTRAS,
            help=f"share of words given digits, brackets, quotes, signs, accents ({EXTRAS})",
        )  # fmt: skip
        parser.add_argument("--pages", type=int, default=2000, help="training pages (2000)")
        parser.add_argument("--eval-pages", type=int, default=40, help="per part (40)")
        parser.add_argument("--steps", type=int, default=20000, help="training steps (20000)")
        add_overrides_argument(parser, "for the training (hardware=gpu, …)")

    def run(self, args: argparse.Namespace) -> int:
        args.out.mkdir(parents=True, exist_ok=True)
        faces = _faces(args)
        _corpus(args, args.out / "corpus", faces, "train", args.pages, seed=0)
        _keep_classes(args.out / "corpus", args.overrides)
        _corpus(args, args.out / "unseen", faces, "held out", 0, seed=1)
        run = args.out / "run"
        if not done(run):
            corpus = (args.out / "corpus").resolve()
            imagine("run", "dataset=labelimg", override("data_dir", corpus),
                    f"steps={args.steps}", override("hydra.run.dir", run.resolve()),
                    *args.overrides, where="imagine base-model")  # fmt: skip
            mark_done(run)
        model = args.out / "model"
        if not done(model):
            from imagine_plugins.fewshot.pack import pack

            pack(run, model)
            mark_done(model)
        read = args.out / "read"
        if not done(read):
            imagine("ocr", "--model", str(model), str(args.out / "unseen" / "eval"), "--out",
                    str(read), "--format", "txt", where="imagine base-model")  # fmt: skip
            mark_done(read)
        _show(args.out, score_families(read, args.out / "unseen", faces["family of"]))
        out.print(f"to ship it: copy {model} to plugins/base_model/model "
                  "(plugins/base_model/model/README.md)")  # fmt: skip
        return 0


def _spread(faces: list[str]) -> list[str]:
    step = max(1, len(faces) // PER_FAMILY)
    return faces[::step][:PER_FAMILY]


def design_of(family: str) -> str:
    """A family's design group, its first word: 'PT Sans Narrow' and 'PT Serif', 'Linux
    Libertine O' and 'Linux Biolinum O', 'Gentium Book Plus' and 'Gentium Plus' are one
    foundry's or one design's, and a held-out family whose relative was trained on is not
    unseen."""
    return family.split()[0].lower() if family.split() else family


def split_families(
    families: dict[str, list[str]], hold_out: list[str] | None = None
) -> dict[str, list[str]]:
    """Whole families held out for evaluation: those named, else every ``EVAL_EVERY``-th
    design group (``design_of``) by name, with all its families."""
    names = sorted(families)
    if hold_out:
        held = set(hold_out)
    else:
        groups = sorted({design_of(n) for n in names})
        chosen = {g for i, g in enumerate(groups) if i % EVAL_EVERY == EVAL_EVERY - 1}
        held = {n for n in names if design_of(n) in chosen}
    unknown = held - set(names)
    if unknown:
        raise ImagineError(
            f"no installed face of the famil(ies) {', '.join(sorted(unknown))}",
            where="--hold-out", fix=f"name some of: {', '.join(names)}",
        )  # fmt: skip
    held_designs = {design_of(n) for n in held}
    return {
        "train": [f for name in names if name not in held for f in families[name]],
        "held out": [f for name in names if name in held for f in families[name]],
        "held-out families": sorted(held),
        "relatives in training": [
            n for n in names if n not in held and design_of(n) in held_designs
        ],
        "family of": {f: name for name in names for f in families[name]},
    }


def _faces(args: argparse.Namespace) -> dict[str, list[str]]:
    """The training and held-out faces (``faces.json``), from ``imagine data fonts``."""
    listed = args.out / "faces.json"
    if listed.is_file():
        return json.loads(listed.read_text(encoding="utf-8"))
    drawn = _drawn(args)
    families = {
        name: _spread([f for f in faces if not _benchmark_face(f)])
        for name, faces in drawn["latin"].items()
    }
    held = [n.strip() for n in args.hold_out.split(",")] if args.hold_out else None
    split = split_families({name: faces for name, faces in families.items() if faces}, held)
    if not split["train"] or not split["held out"]:
        raise ImagineError(
            f"too few font families to train on some and hold out others (need "
            f"{EVAL_EVERY} at least, or --hold-out)",
            where="--fonts", fix="install fonts (e.g. fonts-dejavu fonts-noto-core) or name "
            "folders that hold them",
        )  # fmt: skip
    split["scripts of"] = {
        face: [script for script, found in drawn.items() if face in found.get(name, [])]
        for face, name in split["family of"].items()
    }
    listed.write_text(json.dumps(split, indent=1), encoding="utf-8")
    out.print(f"{len(split['train'])} faces to train on; held out: "
              f"{', '.join(split['held-out families'])}")  # fmt: skip
    if split["relatives in training"]:
        relatives = ", ".join(split["relatives in training"])
        err.print(f"warning: families of the held-out ones' designs are trained on: "
                  f"{relatives} — their figures will flatter")  # fmt: skip
    return split


def _drawn(args: argparse.Namespace) -> dict[str, dict[str, list[str]]]:
    """Per script of ``--scripts`` (and Latin), the faces that draw it, by family
    (``imagine data fonts --script S``)."""
    scripts = dict.fromkeys(["latin", *(s.strip() for s in args.scripts.split(","))])
    drawn = {}
    for script in scripts:
        found = args.out / f"fonts-{script}.json"
        imagine("data", "fonts", *map(str, args.fonts or []), "--script", script, "--json",
                str(found), where="imagine base-model")  # fmt: skip
        drawn[script] = json.loads(found.read_text(encoding="utf-8"))
    return drawn


def _benchmark_face(face: str) -> bool:
    return any(name.lower() in face.lower() for name in BENCHMARK_FACES)


def _corpus(args: argparse.Namespace, folder: Path, faces: dict, part: str, pages: int, seed: int):
    """``imagine data demo`` with the faces of ``part``, in the scripts some of them draw."""
    if (folder / "corpus.json").is_file():  # `imagine data demo` writes it last
        return
    wanted = [s.strip() for s in args.scripts.split(",")]
    drawn = {s for face in faces[part] for s in faces["scripts of"][face]}
    scripts = ",".join(s for s in wanted if s in drawn or s == "latin")
    imagine("data", "demo", str(folder), "--font", ",".join(faces[part]), "--scripts", scripts,
            "--train-pages", str(pages), "--eval-pages", str(args.eval_pages),
            "--seed", str(seed), "--capitals", str(args.capitals),
            "--extras", str(args.extras),
            where="imagine base-model")  # fmt: skip


def _starts_from(overrides: list[str]) -> Path | None:
    """The model folder the training starts from: ``fine_tune_checkpoint`` where given
    (it wins, as in ``imagine run``), else the shipped model ``start_from`` names (default
    ``base``); None: from scratch, or none installed."""
    from imagine_core.api import shipped_folder

    parts = (item.partition("=") for item in overrides)
    given = {key.lstrip("+"): value.strip("'\"") for key, _, value in parts}
    if given.get("train_config.fine_tune_checkpoint"):
        return Path(given["train_config.fine_tune_checkpoint"])
    return shipped_folder(given.get("start_from", given.get("train_config.start_from", "base")))


def _keep_classes(corpus: Path, overrides: list[str]) -> None:
    """A refresh keeps every character the model it starts from reads: the corpus's
    label map gets those its pages happen not to hold (a capital such as ``Ё`` or ``Ž``
    may not occur on 600 pages), whose weights the run carries over by character. Without
    it a refresh silently forgot them."""
    from imagine_core.api import LabelMap

    base = _starts_from(overrides)
    if base is None or not (base / "label_map.pbtxt").is_file():
        return
    path = corpus / "label_map.pbtxt"
    names = LabelMap.read(path).names
    missing = [n for n in LabelMap.read(base / "label_map.pbtxt").names if n not in names]
    if missing:
        LabelMap.from_names([*names, *missing]).write(path)
        out.print(f"{len(missing)} classes of the model it starts from kept, though no "
                  f"training page holds them ({base})")  # fmt: skip


def score_families(
    read: Path, corpus: Path, family_of: dict[str, str]
) -> dict[str, dict[str, float]]:
    """CER of each held-out family's pages (and script), as the run's CER is scored."""
    from imagine_core.api import get_plugins, instantiate

    record = get_plugins().registry.get("evaluator", "character_error_rate")
    evaluator = instantiate(record, None, None)
    faces = json.loads((corpus / "corpus.json").read_text(encoding="utf-8"))["faces"]["eval"]
    tally: dict[str, list[int]] = {}
    for index, (face, script) in enumerate(faces):
        name = f"eval_{index:04d}"
        found = read / f"{name}.txt"
        truth = (corpus / "eval" / f"{name}.gt.txt").read_text(encoding="utf-8")
        text = found.read_text(encoding="utf-8") if found.is_file() else ""
        score = evaluator.add_text(name, truth, text)
        for key in (f"{family_of.get(face, Path(face).stem)} ({script})", "all"):
            counts = tally.setdefault(key, [0, 0])
            counts[0] += score.errors
            counts[1] += score.characters
    return {key: {"CER": e / max(n, 1), "characters": n} for key, (e, n) in tally.items()}


def _show(folder: Path, figures: dict[str, dict[str, float]]) -> None:
    from rich.table import Table

    (folder / "figures.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    table = Table(title="base model on held-out families")
    for column in ("family (script)", "characters", "CER"):
        table.add_column(column, justify="right")
    for key, row in sorted(figures.items(), key=lambda item: -item[1]["CER"]):
        table.add_row(key, str(row["characters"]), f"{row['CER']:.2%}")
    out.print(table)
    out.print(f"model: {folder / 'model'} (weights only; the run: {folder / 'run'})")
