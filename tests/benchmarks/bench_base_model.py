"""The base model out of the box: its CER on font families it never saw, beside Tesseract's
stock ``eng`` model on the same pages, and pages/s of both.

The pages are made by ``heldout.py``'s renderer (not imagine's: other text, per-line ink,
paper, rotation, blur, noise, JPEG), one document per held-out family of the base-model
recipe (``DIR/faces.json``: whole families the model never trained on), each with its own
size, pitch and degradation drawn from clean to moderate. Nothing is tuned on them.

Real pages: the photographed book page scikit-image ships (``skimage/data/page.png``,
uneven light; ``pip install scikit-image``, not a dependency of imagine), with its text
transcribed in ``real/skimage_page.gt.txt``. Read, never tuned on.

    python tests/benchmarks/bench_base_model.py --recipe base/            # its base/model
    python tests/benchmarks/bench_base_model.py --recipe base/ --model base  # what ships

Prints one row per family (worst first) and the median, and the ratio of imagine's CER and
speed to Tesseract's, with the load average the figures were taken under.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import heldout  # this folder's: the held-out renderer
import numpy as np
from bench_fewshot import cer, render_heldout


def documents(recipe: Path, seed: int) -> list[heldout.Document]:
    """One Latin document per held-out family: its first face, a size, page and
    degradation of its own (clean to moderate)."""
    from imagine_plugins.fewshot.base import design_of

    faces = json.loads((recipe / "faces.json").read_text(encoding="utf-8"))
    trained = {design_of(faces["family of"][face]) for face in faces["train"]}
    rng = np.random.default_rng(seed)
    found = []
    for family in faces["held-out families"]:
        # a relative of the design trained on (same first word): not truly unseen
        name = f"{family} (relative trained)" if design_of(family) in trained else family
        face = next(f for f in faces["held out"] if faces["family of"][f] == family)
        size = int(rng.integers(20, 36))
        doc = heldout.Document(
            name, face, size, "eng",
            int(rng.integers(800, 1300)), int(rng.integers(900, 1500)),
            float(rng.uniform(1.3, 1.8)), float(rng.uniform(-1, 1)),
            float(rng.uniform(0, 1.0)), float(rng.uniform(0, 0.05)), int(rng.integers(70, 95)),
        )  # fmt: skip
        found.append(doc)
    return found


REAL = {"skimage_page": ("skimage", "data/page.png")}  # transcription: real/NAME.gt.txt


def real_pages(folder: Path) -> list[Path]:
    """The real pages whose packages are installed, copied beside their transcriptions."""
    import importlib.util

    found = []
    for name, (package, inside) in REAL.items():
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            print(f"real page {name}: {package} is not installed — skipped")
            continue
        page = folder / f"{name}.png"
        shutil.copy(Path(spec.submodule_search_locations[0]) / inside, page)
        shutil.copy(Path(__file__).parent / "real" / f"{name}.gt.txt", page.with_suffix(".gt.txt"))
        found.append(page)
    return found


def imagine_read(model: str, pages: list[Path]) -> tuple[dict[Path, str], float]:
    import imagine

    reader = imagine.load(model)
    reader.read(pages[0])  # the graph is built once, before the clock starts
    started = time.perf_counter()
    read = {page: reader.read(page).text for page in pages}
    return read, time.perf_counter() - started


def tesseract_read(pages: list[Path]) -> tuple[dict[Path, str], float] | None:
    if shutil.which("tesseract") is None:
        return None
    started = time.perf_counter()
    read = {}
    for page in pages:
        read[page] = subprocess.run(
            ["tesseract", str(page), "-", "-l", "eng", "--psm", "4"],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip
    return read, time.perf_counter() - started


def score(read: dict[Path, str], pages: list[Path]) -> float:
    errors = characters = 0.0
    for page in pages:
        truth = page.with_suffix(".gt.txt").read_text(encoding="utf-8")
        errors += cer(truth, read[page]) * len(truth)
        characters += len(truth)
    return errors / max(characters, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", type=Path, required=True, help="imagine base-model's folder")
    parser.add_argument("--model", help="model to read with (default: RECIPE/model)")
    parser.add_argument("--pages", type=int, default=2, help="pages per family (2)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    model = args.model or str(args.recipe / "model")
    load = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-base-"))
    docs = documents(args.recipe, args.seed)
    pages = {doc.name: render_heldout(doc, work / f"doc{i}", args.pages, args.seed)
             for i, doc in enumerate(docs)}  # fmt: skip
    pages |= {f"real: {page.stem}": [page] for page in real_pages(work)}
    every = [p for group in pages.values() for p in group]
    ours, our_seconds = imagine_read(model, every)
    theirs = tesseract_read(every)
    rows = []
    for name, group in pages.items():
        tess = score(theirs[0], group) if theirs else None
        rows.append((name, score(ours, group), tess))
    print(f"\nbase model {model} on {len(every)} pages: {len(docs)} held-out families, "
          f"{len(pages) - len(docs)} real page(s) "
          f"(load {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end)")  # fmt: skip
    print(f"{'family':28} {'imagine':>8} {'tesseract eng':>14} {'ratio':>6}")
    for name, our_cer, tess in sorted(rows, key=lambda row: -row[1]):
        ratio = f"{our_cer / tess:6.1f}" if tess else "     -"
        tess_text = f"{tess:14.1%}" if tess is not None else f"{'-':>14}"
        print(f"{name:28} {our_cer:8.1%} {tess_text} {ratio}")
    families = [row for row in rows if not row[0].startswith("real:")]
    unseen = [row for row in families if "relative" not in row[0]]
    for label, group in (("median of the families", families), ("median, no relative", unseen)):
        if not group:
            continue
        median = statistics.median(row[1] for row in group)
        print(f"{label:28} {median:8.1%}", end="")
        if theirs:
            tess_median = statistics.median(row[2] for row in group)
            print(f" {tess_median:14.1%} {median / max(tess_median, 1e-9):6.1f}")
        else:
            print()
    if theirs:
        print(f"pages/s: imagine {len(every) / our_seconds:.2f}, tesseract "
              f"{len(every) / theirs[1]:.2f} (ratio {theirs[1] / our_seconds:.2f})")  # fmt: skip
    else:
        print("\ntesseract: not installed (apt-get install tesseract-ocr) — no comparison")
    print(f"pages kept in {work}")


if __name__ == "__main__":
    main()
