"""Few-shot reading on documents nobody tuned for: mark page 0, read the other pages.

    python tests/benchmarks/bench_fewshot.py [--docs NAME,…] [--marks one,all]
        [--pages 200] [--steps 1000] [--keep DIR] [--resolution 1] [--degradations …]
        [extra `imagine run` overrides …]

Each document is a few pages of running text set in a typeface (or script) that no
test and no default uses, from Debian's font packages (`apt-get install
fonts-blankenburg fonts-kaushanscript fonts-gfs-complutum fonts-bpg-georgian
fonts-gotico-antiqua`; a document whose font is missing is skipped and said so).
Greek and Georgian pages carry the corpus text transliterated letter by letter, so
their words have real lengths and letter frequencies but are no language (which
handicaps Tesseract's language models; its figure is printed all the same).

Page 0 is marked in two ways — one box for the first instance of each character
(``one``), or every glyph (``all``) — and then the documented commands run as a user
types them:

    imagine data synth marked/ synth/ --pages P --words words.txt
    imagine run dataset=labelimg data_dir=synth/ steps=S
    imagine ocr --model RUN pages/ --out read/
    imagine eval --ocr --gt pages/ read/

It prints, per document and marking: CER and WER on the other pages, minutes from
marks to model (synthesis + training), and Tesseract's CER on the same pages where
``tesseract`` and the document's language data are installed. ``gotico`` is the
document the defaults were tuned on; the others were held out.

The pages are 1000x1300 px with 28-30 px type and light degradation. ``--resolution 2
--degradations texture,fading,bleed,rotation,lighting,blur,noise,jpeg`` makes them more
like a 300 dpi scan: twice the pixels per glyph, slightly askew, unevenly lit, the
reverse showing through.
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


def synth_and_train(
    work: Path, env: dict[str, str], pages: int, steps: int, run: str, extra=()
) -> None:
    """The documented few-shot commands, from ``work/marked`` and ``work/words.txt``."""
    imagine(
        "data", "synth", "marked", "synth", "--pages", str(pages), "--words", "words.txt",
        cwd=work, env=env,
    )  # fmt: skip
    imagine(
        "run", "dataset=labelimg", "data_dir=synth", f"steps={steps}", f"hydra.run.dir={run}",
        *extra, cwd=work, env=env,
    )  # fmt: skip


def cer(truth: str, found: str) -> float:
    from rapidfuzz.distance import Levenshtein

    from imagine_plugins.evaluation.metrics import normalise_text

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


def one_document(doc: Document, how: str, work: Path, args: argparse.Namespace, extra) -> dict:
    env = {**os.environ, "IMAGINE_CACHE": str(work / "cache")}
    pages = render(
        doc, work / "pages", args.doc_pages, args.seed, args.resolution, args.degradations
    )
    count = mark(pages[0], work / "marked", how)
    others = work / "others"
    others.mkdir(exist_ok=True)
    for page in pages[1:]:
        for suffix in (".png", ".gt.txt"):
            shutil.copy(page.with_name(page.stem + suffix), others / (page.stem + suffix))
    start = time.perf_counter()
    synth_and_train(work, env, args.pages, args.steps, "run", extra)
    minutes = (time.perf_counter() - start) / 60
    imagine(
        "ocr", "--model", "run", "others", "--out", "read", "--format", "txt", cwd=work, env=env
    )
    errors = characters = 0.0
    for truth_file in sorted(others.glob("*.gt.txt")):
        truth = truth_file.read_text(encoding="utf-8")
        found_file = work / "read" / truth_file.name.replace(".gt.txt", ".txt")
        found = found_file.read_text(encoding="utf-8") if found_file.is_file() else ""
        errors += cer(truth, found) * len(truth)
        characters += len(truth)
    metrics = json.loads((work / "run" / "metrics.json").read_text())
    return {
        "doc": doc.name + ("" if not doc.tuned else " (tuned on)"),
        "marks": f"{how} ({count} boxes)",
        "CER": errors / max(characters, 1),
        "run CER (synthetic held-out)": metrics.get("CER"),
        "minutes": minutes,
        "tesseract": tesseract_cer(sorted(others.glob("*.png")), doc.tesseract),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default=",".join(d.name for d in DOCUMENTS))
    parser.add_argument("--marks", default="one,all")
    parser.add_argument("--pages", type=int, default=200, help="synthetic pages")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--doc-pages", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--resolution", type=float, default=1.0, help="page and type size factor")
    parser.add_argument("--degradations", default=DEGRADATIONS, help="the demo's degradation steps")
    parser.add_argument("--keep", type=Path, help="keep every document's folder here")
    args, extra = parser.parse_known_args()
    chosen = [d for d in DOCUMENTS if d.name in args.docs.split(",")]
    rows = []
    for doc in chosen:
        if not (FONTS / doc.font).is_file():
            print(f"skipped {doc.name}: {FONTS / doc.font} is not installed", flush=True)
            continue
        for how in args.marks.split(","):
            with tempfile.TemporaryDirectory(prefix=f"fewshot-{doc.name}-") as tmp:
                row = one_document(doc, how, Path(tmp), args, extra)
                if args.keep:
                    shutil.copytree(tmp, args.keep / f"{doc.name}-{how}", dirs_exist_ok=True)
            rows.append(row)
            tess = "-" if row["tesseract"] is None else f"{row['tesseract']:.3f}"
            print(
                f"{row['doc']:24} {row['marks']:18} CER {row['CER']:.3f}  "
                f"(run's synthetic held-out {row['run CER (synthetic held-out)']:.3f})  "
                f"{row['minutes']:.1f} min  tesseract {tess}",
                flush=True,
            )
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
