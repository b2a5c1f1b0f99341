"""Batch inference throughput: `imagine infer` (Ray Data) with 1 and 2 workers beside
`imagine ocr` (one process), on the same pages.

    python tests/benchmarks/bench_infer.py RUN_DIR [--pages DIR] [--copies N]
        [--workers 1,2] [--work DIR]

The pages (default: the demo corpus's eval pages) are copied until there are ``--copies``
of them, then each command reads them all, writing JSON, timed from start to end as a
user would wait (interpreter, TensorFlow, Ray and model start-up included), and again on
the first half of them: the difference is the time the second half took, once everything
had started (the "steady" pages/s). It prints both pages/s per command, their ratios to
`imagine ocr`'s, and whether the glyphs read are the same as `imagine ocr`'s. Timings are
relative: compare the rows of one run.
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
from pathlib import Path
from typing import Any


def demo_pages() -> Path:
    cache = Path(os.environ.get("IMAGINE_CACHE", Path.home() / ".cache" / "imagine"))
    found = sorted(cache.glob("demo/*/eval"))
    if not found:
        raise SystemExit("no demo corpus cached: run `imagine run` once, or pass --pages")
    return found[0]


def copies(source: Path, count: int, folder: Path) -> list[Path]:
    pages = sorted(source.glob("*.png"))
    folder.mkdir(parents=True)
    made = []
    for n in range(count):
        target = folder / f"{n:04d}_{pages[n % len(pages)].name}"
        shutil.copy(pages[n % len(pages)], target)
        made.append(target)
    return made


def timed(*args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "imagine_core", *args], capture_output=True, text=True
    )
    if proc.returncode:
        raise SystemExit(f"imagine {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def glyphs(folder: Path) -> dict[str, int]:
    return {
        p.name: len(json.loads(p.read_text(encoding="utf-8"))["glyphs"])
        for p in sorted(folder.glob("*.json"))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--pages", type=Path)
    parser.add_argument("--copies", type=int, default=16)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-infer-"))
    pages = copies(args.pages or demo_pages(), args.copies, work / "pages")
    half = work / "half"
    half.mkdir()
    for page in pages[: len(pages) // 2]:
        shutil.copy(page, half / page.name)
    rows = []
    for name, command in commands(args):
        slug = name.replace(" ", "").replace("-", "")
        seconds = [timed(*command(folder, work / f"{slug}-{folder.name}")) for folder in
                   (work / "pages", half)]  # fmt: skip
        steady = (len(pages) - len(pages) // 2) / max(seconds[0] - seconds[1], 1e-9)
        rows.append((name, seconds[0], steady, glyphs(work / f"{slug}-pages")))
    print(f"{len(pages)} pages, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'command':28} {'seconds':>8} {'pages/s':>8} {'vs ocr':>7} {'steady':>7} "
          f"{'vs ocr':>7}  same glyphs")  # fmt: skip
    for name, seconds, steady, found in rows:
        print(
            f"{name:28} {seconds:8.1f} {len(pages) / seconds:8.2f} {rows[0][1] / seconds:6.2f}x"
            f" {steady:7.2f} {steady / rows[0][2]:6.2f}x  {found == rows[0][3]}"
        )


def commands(args: argparse.Namespace) -> list[tuple[str, Any]]:
    model = str(args.run)

    def ocr(pages: Path, out: Path) -> list[str]:
        return ["ocr", "--model", model, str(pages), "--out", str(out), "--format", "json"]

    def infer(workers: str) -> Any:
        def command(pages: Path, out: Path) -> list[str]:
            return ["infer", str(pages), "--model", model, "--out", str(out), "--workers", workers]

        return command

    workers = args.workers.split(",")
    return [("imagine ocr", ocr)] + [(f"imagine infer --workers {n}", infer(n)) for n in workers]


if __name__ == "__main__":
    main()
