"""Reading pages: imagine's pages/s and CER, per tile size and NMS, beside Tesseract's.

    python tests/benchmarks/bench_ocr.py MODEL [PAGES_DIR] [--tiles 0,512] [--nms batched,v2]

MODEL is a run folder or an exported model (SavedModel, TFLite: give PAGES_DIR).

PAGES_DIR holds page images with ``<page>.gt.txt`` (and LabelImg XML) beside them
(default: the run's demo eval pages). For each tile size and Model Garden NMS version,
imagine reads every page once as `imagine ocr` does (the model loaded and warmed up
first) and prints pages/s, CER, mAP@0.5 and recall of the glyph boxes (so a faster
post-processing is seen to keep its accuracy), and how much of the time the network
itself takes; when the `tesseract` command exists (Debian: tesseract-ocr) it reads the
same pages (`-l eng --psm 6`) for comparison.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np


def demo_eval_pages(run_dir: Path) -> Path:
    from imagine_core.api import build, read_pipeline

    pipeline = read_pipeline(run_dir / "pipeline.config")
    reader = build(pipeline.eval_input_reader[0], pipeline)
    return reader.ensure() / "eval"


def cer_of(reads: dict[str, str], pages: list[Path]) -> float:
    from imagine_core.api import instantiate
    from imagine_core.plugins import get_plugins

    registry = get_plugins().registry
    cer = instantiate(registry.get("evaluator", "character_error_rate"), None, None)
    for page in pages:
        truth = page.with_name(f"{page.stem}.gt.txt").read_text(encoding="utf-8")
        cer.add_text(page.stem, truth, reads[page.stem])
    return cer.result()["CER"]


def boxes_of(page: Path) -> dict:
    from imagine_plugins.labelimg.voc import parse_voc

    example = parse_voc(page.with_suffix(".xml"))
    return {
        "boxes": [[b.xmin, b.ymin, b.xmax, b.ymax] for b in example.boxes],
        "labels": [b.label for b in example.boxes],
    }


def imagine(run_dir: Path, pages: list[Path], tile: int, nms: str) -> None:
    from imagine_core.api import load_detector
    from imagine_plugins.evaluation.metrics import CocoDetectionMetrics
    from imagine_plugins.models import retinanet
    from imagine_plugins.ocr.command import components
    from imagine_plugins.ocr.images import read_pages
    from imagine_plugins.ocr.tiling import tiles_of

    retinanet.NMS_VERSION = nms
    pipeline, detector = load_detector(run_dir)
    settings = type(pipeline.ocr)()
    settings.CopyFrom(pipeline.ocr)
    settings.tile_size = tile
    reader, assembler, _ = components(settings)
    images = {p.stem: next(read_pages(p)).image for p in pages}
    size = reader.size_for(detector)
    reader.read(detector, [images[pages[0].stem]])  # trace and warm up
    reads, glyphs, found_on = {}, 0, {}
    start = time.perf_counter()
    for name, image in images.items():
        (found,) = reader.read(detector, [image])
        glyphs += len(found)
        found_on[name] = found
        regions = assembler.assemble(found, settings.direction)
        reads[name] = "\n".join(line.text for region in regions for line in region.lines)
    seconds = time.perf_counter() - start
    coco = CocoDetectionMetrics()
    for page in pages:
        found = found_on[page.stem]
        coco.add(
            boxes_of(page),
            {
                "boxes": [g.box for g in found],
                "labels": [g.char for g in found],
                "scores": [g.score for g in found],
            },
        )
    boxes = coco.result()

    per_page = seconds / len(pages)
    first = images[pages[0].stem]
    tiles = len(tiles_of(0, *first.shape[:2], size, settings.tile_overlap))
    share = "n/a (an exported model)"
    if hasattr(detector, "model"):  # a run folder: time the network alone
        share = f"{network_seconds(detector, first, size, settings) / per_page:.0%}"
    print(
        f"imagine  tile {size:>4} ({tiles:>2}/page) nms {nms:<7}:"
        f" {len(pages) / seconds:5.2f} pages/s  CER {cer_of(reads, pages):.4f}"
        f"  mAP@0.5 {boxes['mAP@0.5']:.3f}  recall {boxes['AR@1000']:.3f}  glyphs {glyphs}"
        f"  | {per_page * 1000:.0f} ms/page, network {share}"
    )


def network_seconds(detector, image, size: int, settings) -> float:
    """The network alone (backbone, decoder, heads) on one page's tiles; the rest of the
    time is post-processing (decoding, NMS), merging, and cutting tiles."""
    import tensorflow as tf

    from imagine_plugins.ocr.tiling import cut, tiles_of

    keras = detector.model.model
    network = tf.function(
        lambda x: keras.head(keras.decoder(keras.backbone(detector.model.preprocess(x)[0])))
    )
    batch = np.stack(
        [cut(image, t, size) for t in tiles_of(0, *image.shape[:2], size, settings.tile_overlap)]
    ).astype(np.float32)
    chunks = [batch[i : i + settings.batch_size] for i in range(0, len(batch), settings.batch_size)]
    for chunk in chunks:
        network(tf.constant(chunk))  # trace
    start = time.perf_counter()
    for chunk in chunks:
        network(tf.constant(chunk))
    return time.perf_counter() - start


def tesseract(pages: list[Path]) -> None:
    if shutil.which("tesseract") is None:
        print("tesseract: not installed (apt-get install tesseract-ocr) — skipped")
        return
    reads = {}
    start = time.perf_counter()
    for page in pages:
        proc = subprocess.run(
            ["tesseract", str(page), "stdout", "-l", "eng", "--psm", "6"],
            capture_output=True,
            text=True,
            check=True,
        )
        reads[page.stem] = proc.stdout
    seconds = time.perf_counter() - start
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True)
    print(
        f"tesseract {version.stdout.split()[1]} (--psm 6): {len(pages) / seconds:5.2f} pages/s"
        f"  CER {cer_of(reads, pages):.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("pages_dir", type=Path, nargs="?")
    parser.add_argument("--tiles", default="0,512", help="tile sizes (0: the model's)")
    parser.add_argument("--nms", default="batched", help="Model Garden NMS versions: batched,v2")
    args = parser.parse_args()
    folder = args.pages_dir or demo_eval_pages(args.run_dir)
    pages = sorted(p for p in folder.glob("*.png") if p.with_name(f"{p.stem}.gt.txt").is_file())
    if not pages:
        raise SystemExit(f"no pages with .gt.txt in {folder}")
    print(f"{len(pages)} pages from {folder}")
    for nms in args.nms.split(","):
        for tile in (int(t) for t in args.tiles.split(",")):
            imagine(args.run_dir, pages, tile, nms)
    tesseract(pages)


if __name__ == "__main__":
    main()
