"""The rich consoles: results to stdout, messages and errors to stderr."""

from __future__ import annotations

import os

from rich.console import Console

# Piped output (tests, `| less`) gets room for tables instead of rich's 80 columns.
_WIDTH = None if os.environ.get("COLUMNS") else 160

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
if not out.is_terminal and _WIDTH:
    out.width = _WIDTH
if not err.is_terminal and _WIDTH:
    err.width = _WIDTH
