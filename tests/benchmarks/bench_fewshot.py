"""Few-shot reading on documents nobody tuned for: mark page 0, read the other pages.

    python tests/benchmarks/bench_fewshot.py [--set heldout|tuning|classic] [--docs NAME,…]
        [--marks one,all] [--pages 200] [--steps 1000] [--keep DIR]
        [--self-train 1] [--keep-score 0.8] [--round-steps 400] [--resolution 1]
        [--degradations …] [--baseline] [extra `imagine run` overrides …]

``--set tuning`` is tuning.py's four documents, made the same way in faces none of the
held-out ones uses: the only pages reading rules are designed and tuned on.
``--set heldout`` (the default) is the eight documents of heldout.py: pages made by code
that shares nothing with imagine's renderers, in blackletter, a script face, Runic, Gothic,
Glagolitic, Old Italic, Georgian and Greek, each with its own page size, type size (22-40
px), line pitch, ink per line, rotation, blur, noise and JPEG quality (`apt-get install
fonts-blankenburg fonts-kaushanscript fonts-gfs-complutum fonts-noto-core
fonts-noto-extra`). Never tune on them. ``--set classic`` is the earlier set, rendered by
the demo corpus's renderer (`fonts-bpg-georgian fonts-gotico-antiqua` too); ``gotico`` is
the document the defaults were tuned on. A document whose font is missing is skipped and
said so.

Page 0 is marked in two ways — one box for the first instance of each character
(``one``), or every glyph (``all``) — and then the README's recipe runs as a user types
it, with ``--rounds`` from ``--self-train``:

    imagine fewshot marked/ others/ --out fs/ --words words.txt

Round 0 of it is the plain recipe (``imagine data synth`` + ``imagine run``); each later
round is a round of self-training on the unmarked pages (docs/data.md).

It prints, per document and marking: CER on the other pages (round 0, then after each
self-training round) beside its floor (the share of
their characters that never occur on the marked page, which no model of those marks alone
can read), the estimate the run showed the user (CER on its synthetic held-out pages),
the CER `imagine fewshot` told the user to expect of its last model (docs/data.md),
minutes from marks to model (synthesis + training; with ``--baseline`` also as a ratio
to the default `imagine run` timed first in the same benchmark run), Tesseract's CER on
the same pages with its best stock model where ``tesseract`` and that language data are
installed (`eng` for scripts it has no model of), and the machine's load before and after.
``--against-scratch`` runs each document a second time with ``start_from=scratch`` and
prints the ratios of CER and minutes from the base model to those from scratch.

The classic set's pages are 1000x1300 px with 28-30 px type and light degradation.
``--resolution 2 --degradations texture,fading,bleed,rotation,lighting,blur,noise,jpeg``
makes them more like a 300 dpi scan.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import heldout  # this folder's: the held-out documents
import tuning  # this folder's: the documents rules may be tuned on

FONTS = Path("/usr/share/fonts")
GREEK = dict(zip("abcdefghijklmnopqrstuvwxyz", "αβξδεφγηιςκλμνοπθρστυωψχυζ", strict=True)) | dict(
    zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ΑΒΞΔΕΦΓΗΙΣΚΛΜΝΟΠΘΡΣΤΥΩΨΧΥΖ", strict=True)
)
GEORGIAN = dict(zip("abcdefghijklmnopqrstuvwxyz", "აბცდეფგჰიჯკლმნოპქრსტუვწხყზ", strict=True))


@dataclass
class Document:
    name: str
    font: str  # path below /usr/share/fonts
    size: int  # glyph size in px
    tesseract: str  # language data
    letters: dict[str, str] | None = None  # transliteration of the corpus text
    tuned: bool = False


DOCUMENTS = [
    Document(
        "gotico", "opentype/gotico-antiqua/Rusch-GoticoAntiqua100G.otf", 30, "Latin", None, True
    ),
    Document("blankenburg", "truetype/blankenburg/Blankenburg_UNZ1A.ttf", 30, "Fraktur"),
    Document("kaushan", "opentype/kaushanscript/KaushanScript-Regular.otf", 30, "eng"),
    Document("greek", "opentype/complutum/GFSPolyglot.otf", 28, "grc", GREEK),
    Document(
        "georgian",
        "truetype/fonts-bpg-georgian/BPG_Algeti_GPL&GNU.ttf",
        28,
        "kat",
        {**GEORGIAN, **{k.upper(): v for k, v in GEORGIAN.items()}},
    ),
]


DEGRADATIONS = "texture,fading,blur,noise,jpeg"


def render(
    doc: Document, folder: Path, pages: int, seed: int, resolution: float, degradations: str
) -> list[Path]:
    """The document's pages with a LabelImg box per glyph and a .gt.txt each."""
    import numpy as np

    from imagine_plugins.datatools.demo import render as demo
    from imagine_plugins.labelimg.voc import voc_xml

    text = demo.corpus_text()
    if doc.letters:
        text = "".join(doc.letters.get(ch, ch) for ch in text)
    style = demo.PageStyle(
        width=round(1000 * resolution),
        height=round(1300 * resolution),
        font=str(FONTS / doc.font),
        min_size=round(doc.size * resolution),
        max_size=round(doc.size * resolution),
        line_spacing=1.45,
        degradations=degradations.split(","),
        strength=0.4,
    )
    rng = np.random.default_rng(seed)
    start = int(rng.integers(0, 2000))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(pages):
        data, boxes, page_text = demo.render_page(text, start + index * 260, style, rng)
        image = folder / f"page{index}.png"
        image.write_bytes(data)
        from imagine_core.api import Example

        example = Example(image=image, width=style.width, height=style.height, boxes=boxes)
        (folder / f"page{index}.xml").write_bytes(voc_xml(example, image))
        (folder / f"page{index}.gt.txt").write_text(page_text + "\n", encoding="utf-8")
        written.append(image)
    return written


def render_heldout(doc: heldout.Document, folder: Path, pages: int, seed: int) -> list[Path]:
    """A held-out document's pages (heldout.py: nothing of imagine's renderers)."""
    from imagine_core.api import Box, Example
    from imagine_plugins.labelimg.voc import voc_xml

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(pages):
        data, boxes, text = heldout.render_page(doc, index, seed)
        image = folder / f"page{index}.png"
        image.write_bytes(data)
        glyphs = [Box(max(0.0, x0), max(0.0, y0), min(doc.width, x1), min(doc.height, y1), label=ch)
                  for x0, y0, x1, y1, ch in boxes]  # fmt: skip
        example = Example(image=image, width=doc.width, height=doc.height, boxes=glyphs)
        (folder / f"page{index}.xml").write_bytes(voc_xml(example, image))
        (folder / f"page{index}.gt.txt").write_text(text + "\n", encoding="utf-8")
        written.append(image)
    return written


def mark(page: Path, out: Path, how: str) -> int:
    """Page 0 as the user marks it: every glyph, or the first instance of each."""
    from imagine_plugins.labelimg.voc import parse_voc, voc_xml

    example = parse_voc(page.with_suffix(".xml"))
    if how == "one":
        seen: set[str] = set()
        firsts = []
        for box in example.boxes:
            if box.label not in seen:
                seen.add(box.label)
                firsts.append(box)
        example.boxes = firsts
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(page, out / page.name)
    (out / page.with_suffix(".xml").name).write_bytes(voc_xml(example, out / page.name))
    # The word list a user has: the words of the page they marked.
    truth = page.with_name(f"{page.stem}.gt.txt").read_text(encoding="utf-8")
    (out.parent / "words.txt").write_text(truth, encoding="utf-8")
    return len(example.boxes)


def imagine(*args: str, cwd: Path, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "imagine_core", *args]
    proc = subprocess.run(command, cwd=cwd, env=env, check=False)
    if proc.returncode:
        raise SystemExit(f"failed (exit {proc.returncode}): imagine {' '.join(args)}")


def fewshot(work: Path, env: dict[str, str], args: argparse.Namespace, extra) -> list[float]:
    """``imagine fewshot`` as the README gives it, from ``work/marked`` and
    ``work/words.txt``, reading ``work/others``; returns minutes from marks to each
    round's model (round 0: the plain recipe, ``data synth`` + ``imagine run``)."""
    start = time.time()
    overrides = [word for override in extra for word in ("--set", override)]
    imagine(
        "fewshot", "marked", "others", "--out", "fs", "--rounds", str(args.self_train),
        "--keep-score", str(args.keep_score), "--steps", str(args.steps),
        "--round-steps", str(args.round_steps), "--synth-pages", str(args.pages),
        "--words", "words.txt", *overrides, cwd=work, env=env,
    )  # fmt: skip
    done = [work / "fs" / f"round{r}" / "fewshot.done" for r in range(args.self_train + 1)]
    return [(marker.stat().st_mtime - start) / 60 for marker in done]


def confidence_estimate(read: Path) -> dict[str, float]:
    """What the reading itself says of its errors, with no ground truth (what `imagine
    fewshot` prints): 1 - the mean glyph score, and the share marked uncertain."""
    from imagine_plugins.fewshot.marks import confidence

    mean, uncertain = confidence(read)
    return {"1 - mean score": 1 - mean, "uncertain": uncertain}


def shown_estimate(fs: Path, rounds: int) -> float | None:
    """The CER `imagine fewshot` told the user to expect of the last round's model."""
    found = fs / f"estimate{rounds}.json"
    return json.loads(found.read_text())["cer"] if found.is_file() else None


def default_run_minutes() -> float:
    """Minutes of the README's main job (`imagine run` on the demo data, fresh cache):
    the baseline the few-shot minutes are a ratio to, measured in the same benchmark run."""
    from bench_default_run import timed_run  # this folder's

    return timed_run([])[0] / 60


def read_cer(read: Path, others: Path) -> float:
    """CER over the unmarked pages of what ``imagine ocr`` wrote into ``read``."""
    errors = characters = 0.0
    for truth_file in sorted(others.glob("*.gt.txt")):
        truth = truth_file.read_text(encoding="utf-8")
        found_file = read / truth_file.name.replace(".gt.txt", ".txt")
        found = found_file.read_text(encoding="utf-8") if found_file.is_file() else ""
        errors += cer(truth, found) * len(truth)
        characters += len(truth)
    return errors / max(characters, 1)


def normalise_text(text: str) -> str:
    from imagine_plugins.evaluation.metrics import normalise_text as normalise

    return normalise(text)


def cer(truth: str, found: str) -> float:
    from rapidfuzz.distance import Levenshtein

    truth, found = normalise_text(truth), normalise_text(found)
    return Levenshtein.distance(truth, found) / max(len(truth), 1)


def tesseract_cer(pages: list[Path], lang: str) -> float | None:
    if shutil.which("tesseract") is None:
        return None
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout
    if lang not in listed.split():
        return None
    errors = characters = 0.0
    for page in pages:
        found = subprocess.run(
            ["tesseract", str(page), "-", "-l", lang, "--psm", "4"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        truth = page.with_suffix(".gt.txt").read_text(encoding="utf-8")
        errors += cer(truth, found) * len(truth)
        characters += len(truth)
    return errors / max(characters, 1)


def _tuned_on(doc) -> bool:
    return getattr(doc, "tuned", False) or doc in tuning.DOCUMENTS


def one_document(doc: Document, how: str, work: Path, args: argparse.Namespace, extra) -> dict:
    env = {**os.environ, "IMAGINE_CACHE": str(work / "cache")}
    load = os.getloadavg()[0]
    if isinstance(doc, heldout.Document):
        pages = render_heldout(doc, work / "pages", args.doc_pages, args.seed)
    else:
        pages = render(
            doc, work / "pages", args.doc_pages, args.seed, args.resolution, args.degradations
        )
    count = mark(pages[0], work / "marked", how)
    others = work / "others"
    others.mkdir(exist_ok=True)
    for page in pages[1:]:
        for suffix in (".png", ".gt.txt"):
            shutil.copy(page.with_name(page.stem + suffix), others / (page.stem + suffix))
    minutes = fewshot(work, env, args, extra)
    fs = work / "fs"
    rounds = [read_cer(fs / f"read{r}", others) for r in range(args.self_train + 1)]
    characters = unseen = 0.0
    marked = normalise_text(pages[0].with_suffix(".gt.txt").read_text(encoding="utf-8"))
    for truth_file in sorted(others.glob("*.gt.txt")):
        truth = truth_file.read_text(encoding="utf-8")
        unseen += heldout.unseen_floor(marked, normalise_text(truth)) * len(truth)
        characters += len(truth)
    metrics = json.loads((fs / "round0" / "metrics.json").read_text())
    return {
        "doc": doc.name + (" (tuned on)" if _tuned_on(doc) else ""),
        "marks": f"{how} ({count} boxes)",
        "CER": rounds[0],
        "CER after each self-training round": rounds[1:],
        "minutes with self-training": minutes[-1],
        "floor (unseen on the marked page)": unseen / max(characters, 1),
        "run CER (synthetic held-out)": metrics.get("CER"),
        "confidence": confidence_estimate(fs / "read0"),
        "estimate shown (last round)": shown_estimate(fs, args.self_train),
        "minutes": minutes[0],
        "tesseract": tesseract_cer(sorted(others.glob("*.png")), doc.tesseract),
        "tesseract model": doc.tesseract,
        "load": f"{load:.1f} → {os.getloadavg()[0]:.1f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set", default="heldout", choices=["heldout", "tuning", "classic"],
        help="heldout: heldout.py's documents; tuning: tuning.py's (rules may be tuned on "
        "them); classic: the demo renderer's (gotico, …)",
    )  # fmt: skip
    parser.add_argument("--docs", help="names within the set, comma-separated (default: all)")
    parser.add_argument("--marks", default="one,all")
    parser.add_argument("--pages", type=int, default=200, help="synthetic pages")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--doc-pages", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--resolution", type=float, default=1.0, help="page and type size factor")
    parser.add_argument("--degradations", default=DEGRADATIONS, help="the demo's degradation steps")
    parser.add_argument("--keep", type=Path, help="keep every document's folder here")
    parser.add_argument(
        "--self-train", type=int, default=1, help="imagine fewshot --rounds (1, its default)"
    )
    parser.add_argument("--keep-score", type=float, default=0.8, help="self-training's marks")
    parser.add_argument("--round-steps", type=int, default=400, help="steps per round")
    parser.add_argument(
        "--against-scratch", action="store_true",
        help="run each document twice: as imagine fewshot starts (from the installed base "
        "model; IMAGINE_BASE_MODEL=DIR names another) and with start_from=scratch",
    )  # fmt: skip
    parser.add_argument(
        "--baseline", action="store_true",
        help="first time the default `imagine run` and print each document's minutes as a "
        "ratio to it",
    )  # fmt: skip
    args, extra = parser.parse_known_args()
    baseline = default_run_minutes() if args.baseline else None
    if baseline is not None:
        print(f"default `imagine run`: {baseline:.1f} min (load {os.getloadavg()[0]:.1f})")
    documents = {"heldout": heldout.DOCUMENTS, "tuning": tuning.DOCUMENTS}.get(args.set, DOCUMENTS)
    chosen = [d for d in documents if not args.docs or d.name in args.docs.split(",")]
    rows = []
    for doc in chosen:
        if not (FONTS / doc.font).is_file():
            print(f"skipped {doc.name}: {FONTS / doc.font} is not installed", flush=True)
            continue
        starts = [("", extra), (" scratch", [*extra, "start_from=scratch"])]
        for how in args.marks.split(","):
            for start, overrides in starts[: 2 if args.against_scratch else 1]:
                row = _measured(doc, how, args, overrides, start)
                rows.append(row)
                _show(row, baseline)
            if args.against_scratch:
                ours, scratch = rows[-2], rows[-1]
                cer_ratio = ours["CER"] / max(scratch["CER"], 1e-9)
                minutes = ours["minutes"] / max(scratch["minutes"], 1e-9)
                print(f"{doc.name}: from the base model / from scratch: CER {cer_ratio:.2f}, "
                      f"minutes {minutes:.2f}", flush=True)  # fmt: skip
    print(json.dumps(rows, indent=1))


def _measured(doc, how: str, args: argparse.Namespace, overrides: list[str], start: str) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"fewshot-{doc.name}-") as tmp:
        row = one_document(doc, how, Path(tmp), args, overrides)
        if args.keep:
            kept = args.keep / f"{doc.name}-{how}{start.strip() and '-' + start.strip()}"
            shutil.copytree(tmp, kept, dirs_exist_ok=True)
    row["start"] = start.strip() or "default (the base model where one is installed)"
    return row


def _show(row: dict, baseline: float | None) -> None:
    tess = "-" if row["tesseract"] is None else f"{row['tesseract']:.3f}"
    shown = row["estimate shown (last round)"]
    ratio = "" if baseline is None else (
        f" ({row['minutes with self-training'] / baseline:.2f} x the default run)"
    )  # fmt: skip
    print(
        f"{row['doc']:24} {row['marks']:18} [{row['start'].split()[0]}] CER {row['CER']:.3f}  "
        f"(floor {row['floor (unseen on the marked page)']:.3f})  "
        f"(run's synthetic held-out {row['run CER (synthetic held-out)']:.3f})  "
        f"{row['minutes']:.1f} min  tesseract ({row['tesseract model']}) {tess}  "
        f"load {row['load']}  self-training rounds "
        f"{' '.join(f'{c:.3f}' for c in row['CER after each self-training round'])} "
        f"({row['minutes with self-training']:.1f} min in all{ratio}), "
        f"estimate shown {'-' if shown is None else f'{shown:.3f}'}",
        flush=True,
    )


if __name__ == "__main__":
    main()
