"""Exported models side by side: the SavedModel and the TFLite variants of one run.

    python tests/benchmarks/bench_export.py RUN_DIR [--pages DIR] [--work DIR]

Exports RUN_DIR (an ssd run) as a SavedModel and as TFLite with each ``--quantize``
(none, dynamic, float16, int8), reads the pages (default: the demo corpus's eval pages)
with each as ``imagine ocr`` reads them, and prints per variant: file size, ms per tile
(one tile at a time, the median of the pages' tiles), pages/s, and the CER of its text
against the SavedModel's text (how much the variant changes what is read) and against the
pages' .gt.txt. Timings are relative: compare the rows of one run, on one machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

VARIANTS = ["saved_model", "none", "dynamic", "float16", "int8"]


def export(run: Path, out: Path, variant: str) -> Path:
    args = ["--type", "saved_model"] if variant == "saved_model" else ["--type", "tflite"]
    if variant != "saved_model":
        args += ["--quantize", variant]
    command = [sys.executable, "-m", "imagine_core.cli", "export", str(run), *args]
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    return out


def size_of(folder: Path) -> int:
    return sum(
        p.stat().st_size for p in folder.rglob("*") if p.is_file() and "assets" not in p.parts
    )


def read_all(model: Path, pages: list[Path]) -> tuple[list[str], float, float]:
    """Texts of the pages, seconds for all of them, and the median ms per tile."""
    import numpy as np
    from PIL import Image

    from imagine_core.api import instantiate, load_detector
    from imagine_core.plugins import get_plugins
    from imagine_plugins.ocr.tiling import cut, tiles_of

    pipeline, detector = load_detector(model)
    registry = get_plugins().registry
    ocr = pipeline.ocr
    reader = instantiate(registry.get("page_reader", ocr.page_reader), ocr, pipeline)
    assembler = instantiate(registry.get("text_assembler", ocr.text_assembler), ocr, pipeline)
    images = [np.asarray(Image.open(p).convert("RGB")) for p in pages]
    reader.read(detector, images[:1])  # warm up (graph tracing, delegate set-up)
    start = time.perf_counter()
    texts = []
    for image in images:
        (glyphs,) = reader.read(detector, [image])  # glyphs below ocr.min_score dropped
        regions = assembler.assemble(glyphs, ocr.direction)
        texts.append("\n".join(line.text for r in regions for line in r.lines))
    seconds = time.perf_counter() - start
    size = reader.size_for(detector)
    tiles = [cut(images[0], t, size) for t in tiles_of(0, *images[0].shape[:2], size, 0)][:20]
    times = []
    for tile in tiles:
        t0 = time.perf_counter()
        detector.detect(np.asarray(tile, np.float32)[None])
        times.append(1000 * (time.perf_counter() - t0))
    return texts, seconds, statistics.median(times)


def cer(truth: list[str], read: list[str]) -> float:
    from imagine_plugins.evaluation.metrics import CharacterErrorRate

    scorer = CharacterErrorRate()
    for i, (t, r) in enumerate(zip(truth, read, strict=True)):
        scorer.add_text(str(i), t, r)
    return scorer.result()["CER"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--pages", type=Path, help="page images with .gt.txt (demo eval)")
    parser.add_argument("--work", type=Path, default=Path("bench-export"))
    args = parser.parse_args()
    cache = Path(os.environ.get("IMAGINE_CACHE", Path.home() / ".cache" / "imagine"))
    corpora = sorted(cache.glob("demo/*/eval"))
    if args.pages is None and len(corpora) != 1:
        sys.exit(f"{len(corpora)} demo corpora in {cache}: name the pages with --pages DIR")
    folder = args.pages or corpora[0]
    pages = sorted(folder.glob("*.png"))
    truth = [p.with_suffix(".gt.txt").read_text(encoding="utf-8") for p in pages]
    rows, reference = [], None
    for variant in VARIANTS:
        model = export(args.run, args.work / variant, variant)
        texts, seconds, per_tile = read_all(model, pages)
        reference = reference or texts
        rows.append((variant, size_of(model), per_tile, len(pages) / seconds, texts))
    print(f"{len(pages)} pages from {folder}; load average {os.getloadavg()[0]:.1f}")
    heads = ("MB", 7), ("ms/tile", 8), ("pages/s", 8), ("CER vs SavedModel", 18), ("CER", 7)
    print(f"{'variant':12} " + " ".join(f"{h:>{w}}" for h, w in heads))
    for variant, size, per_tile, speed, texts in rows:
        print(
            f"{variant:12} {size / 2**20:7.2f} {per_tile:8.1f} {speed:8.2f} "
            f"{cer(reference, texts):18.2%} {cer(truth, texts):7.2%}"
        )


if __name__ == "__main__":
    main()
