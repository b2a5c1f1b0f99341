"""The one error type a user's mistake raises: what, where, how to fix.

The CLI prints it as one message and exits with code 2; the traceback is shown
only with ``--debug`` or ``IMAGINE_DEBUG=1``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable

EXIT_USER_ERROR = 2


def shown(text: object) -> str:
    """``text`` safe to print: a file name's undecodable bytes (which Python keeps as
    surrogates) become ``\\xff`` escapes instead of crashing the terminal write."""
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class ImagineError(Exception):
    """A problem the user can fix. ``where`` is a file:line, config path or name."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None):
        what, where = shown(what), None if where is None else shown(where)
        super().__init__(what)
        self.what = what
        self.where = where
        self.fix = fix

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class ConfigError(ImagineError):
    """The pipeline configuration does not fit the schema or the registry."""


class DataError(ImagineError):
    """An annotation or image is unusable; ``where`` names the file (and line)."""


class ComponentNotFoundError(ImagineError):
    """No loaded plugin provides the component a configuration names."""


class PluginConflictError(ImagineError):
    """Two distributions register the same component name."""


class PluginError(ImagineError):
    """A plugin's hook failed while the command ran; ``where`` names the plugin."""


def debug_enabled() -> bool:
    """``--debug`` (which the CLI turns into this variable) or ``IMAGINE_DEBUG=1``."""
    return os.environ.get("IMAGINE_DEBUG", "") not in ("", "0", "false")


def close_matches(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates that look like ``name``: for 'did you mean …' hints."""
    return difflib.get_close_matches(name, sorted(set(candidates)), n=n, cutoff=0.6)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    matches = close_matches(name, candidates)
    if not matches:
        return None
    return "did you mean " + " or ".join(repr(m) for m in matches) + "?"
