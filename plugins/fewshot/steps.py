"""What the recipes share: each step is a documented command in its own process, and a
finished step leaves a mark so that the same recipe run again goes on after it."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from imagine_core.api import ImagineError, err

DONE = "fewshot.done"  # written into a step's folder when the step finished


def imagine(*words: str, where: str = "imagine fewshot") -> None:
    """One documented command in its own process, as a user types it."""
    err.print(f"[bold]imagine {' '.join(words[:2])}[/bold] …")
    code = subprocess.run([sys.executable, "-m", "imagine_core", *words], check=False).returncode
    if code:
        raise ImagineError(
            f"`imagine {' '.join(words)}` failed (exit {code})",
            where=where,
            fix="its message is above; put that right and run the same command again: "
            "finished steps are kept",
        )


def done(folder: Path) -> bool:
    return (folder / DONE).is_file()


def mark_done(folder: Path, note: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DONE).write_text(note)


def override(key: str, path: Path) -> str:
    """``key=path`` as Hydra parses it: quoted where the path holds what its grammar reads
    (a folder named like a sweep job, ``lr=0.1,steps=2``, or with spaces)."""
    text = str(path)
    if not any(ch in text for ch in " ,=[]{}()'\""):
        return f"{key}={text}"
    quote = '"' if "'" in text else "'"
    return f"{key}={quote}{text}{quote}"


def add_overrides_argument(parser: argparse.ArgumentParser, which: str) -> None:
    """``--set KEY=VALUE`` (repeatable): an ``imagine run`` override the recipe passes on."""
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
        help=f"an `imagine run` override {which} (repeatable), e.g. --set batch_size=4",
    )  # fmt: skip
