"""The main job as a user runs it: `imagine run` on a fresh cache, timed, with its metrics.

    python tests/benchmarks/bench_default_run.py [--keep DIR] [extra overrides …]

Runs in a temporary folder with an empty IMAGINE_CACHE (so the demo corpus is
generated too) and prints the wall time, CER and mAP from metrics.json. With
``--keep DIR`` the run folder and the demo corpus are copied to DIR afterwards
(``DIR/run``, ``DIR/cache``), e.g. for ``bench_ocr.py DIR/run``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_run(args: list[str], keep: Path | None = None) -> tuple[float, dict]:
    """``imagine run ARGS`` in a temporary folder with a fresh cache: seconds, metrics."""
    with tempfile.TemporaryDirectory(prefix="imagine-run-") as tmp:
        env = {**os.environ, "IMAGINE_CACHE": str(Path(tmp) / "cache")}
        command = [sys.executable, "-m", "imagine_core", "run", *args]
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=tmp, env=env, check=False)
        seconds = time.perf_counter() - start
        metrics_file = next(Path(tmp, "outputs").glob("*/metrics.json"), None)
        if proc.returncode or metrics_file is None:
            sys.exit(f"imagine run failed (exit code {proc.returncode})")
        if keep is not None:
            shutil.copytree(metrics_file.parent, keep / "run", dirs_exist_ok=True)
            shutil.copytree(Path(tmp) / "cache", keep / "cache", dirs_exist_ok=True)
        return seconds, json.loads(metrics_file.read_text())


def main() -> None:
    args = sys.argv[1:]
    keep = None
    if args[:1] == ["--keep"]:
        keep, args = Path(args[1]), args[2:]
    seconds, metrics = timed_run(args, keep)
    print(
        f"imagine run {' '.join(args)}: {seconds / 60:.1f} min wall, "
        f"CER {metrics['CER']:.4f}, WER {metrics['WER']:.4f}, mAP {metrics['mAP']:.4f}, "
        f"mAP@0.5 {metrics['mAP@0.5']:.4f}"
    )


if __name__ == "__main__":
    main()
