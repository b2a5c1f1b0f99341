"""The rich consoles: results to stdout, messages and errors to stderr."""

from __future__ import annotations

import io
import os
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console

from imagine_core.errors import EXIT_USER_ERROR, ImagineError, debug_enabled

# Piped output (tests, `| less`) gets room for tables instead of rich's 80 columns.
_WIDTH = None if os.environ.get("COLUMNS") else 160

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
if not out.is_terminal and _WIDTH:
    out.width = _WIDTH
if not err.is_terminal and _WIDTH:
    err.width = _WIDTH

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class _Tee(io.TextIOBase):
    """Writes to the terminal as before, and a plain-text copy to a log."""

    def __init__(self, first: TextIO, copy: TextIO) -> None:
        self.first, self.copy = first, copy

    def write(self, text: str) -> int:
        self.first.write(text)
        self.copy.write(_ANSI.sub("", text))
        return len(text)

    def flush(self) -> None:
        self.first.flush()
        self.copy.flush()

    def isatty(self) -> bool:  # colours and widths as the terminal decides
        return self.first.isatty()

    def fileno(self) -> int:
        return self.first.fileno()


@contextmanager
def copied_to(log: TextIO) -> Iterator[None]:
    """What both consoles print also goes to ``log`` (Hydra's job log, ``imagine.log``),
    so a run's folder keeps its tables and progress after the terminal is gone."""
    for console in (out, err):
        console.file = _Tee(console.file, log)
    try:
        yield
    finally:
        for console in (out, err):
            console.file = None  # type: ignore[assignment]  # back to sys.stdout/stderr


def report_error(exc: ImagineError) -> int:
    """A user's mistake as one message on stderr (the traceback with --debug); the exit
    code to end with."""
    if debug_enabled():
        err.print(
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), markup=False
        )
    err.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
    if not debug_enabled():
        err.print("[dim](--debug or IMAGINE_DEBUG=1 shows the traceback)[/dim]")
    return EXIT_USER_ERROR
