"""Reading a user's files without hanging, exhausting memory or crashing on odd bytes.

Every reader of annotations, transcriptions and pages goes through here, so the
same rules hold everywhere: only regular files are read (a FIFO, ``/dev/zero`` or a
folder named like a file is refused before it is opened, never read for ever), a
file larger than its kind may be is refused before it is read, and text is UTF-8
(a byte-order mark — UTF-8, UTF-16 or UTF-32 — is honoured and removed; anything else
that is not UTF-8 is named with the offending byte). And where imagine caches what it
derives once (converted datasets, compiled plugin protos): :func:`cache_dir`.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from imagine_core.errors import DataError

MiB = 2**20
# Sizes beyond these are not what the file kind holds (a page's boxes take kilobytes).
TEXT_LIMIT = 16 * MiB
ANNOTATION_LIMIT = 64 * MiB
IMAGE_LIMIT = 1024 * MiB
JSON_LIMIT = 2048 * MiB

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def regular_size(path: Path, what: str, limit: int) -> int:
    """The size of ``path`` once it is known to be a regular file no larger than
    ``limit``; a DataError naming the file otherwise. Symlinks are followed."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"the {what} does not exist", where=str(path)) from None
    except OSError as exc:
        raise DataError(
            f"the {what} cannot be opened ({exc.strerror or exc})", where=str(path)
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise DataError(
            f"the {what} is {_kind(info.st_mode)}, not a regular file",
            where=str(path),
            fix="replace it with a regular file, or remove it",
        )
    if info.st_size > limit:
        raise DataError(
            f"the {what} is {info.st_size / MiB:.1f} MiB, more than the {limit / MiB:.0f} MiB "
            f"a {what} may be",
            where=str(path),
            fix="check that it is the right file; split it if it really is that large",
        )
    return info.st_size


def read_bytes(path: Path, what: str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (checked again while reading:
    a file may grow between the check and the read)."""
    regular_size(path, what, limit)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise DataError(
            f"the {what} cannot be read ({exc.strerror or exc})", where=str(path)
        ) from None
    if len(data) > limit:
        raise DataError(f"the {what} grew past {limit / MiB:.0f} MiB", where=str(path))
    return data


def decode_text(data: bytes, what: str, where: str) -> str:
    """UTF-8 text, or the encoding a byte-order mark names (the mark is dropped)."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"the {what} is not {encoding.upper()} text (byte 0x{data[exc.start]:02x} at "
            f"offset {exc.start}: {exc.reason})",
            where=where,
            fix="save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 OLD > NEW`",
        ) from None


def read_text(path: Path, what: str, limit: int = TEXT_LIMIT) -> str:
    """The text of a regular UTF-8 (or BOM-marked) file of at most ``limit`` bytes."""
    return decode_text(read_bytes(path, what, limit), what, str(path))


def cache_dir() -> Path:
    """``$IMAGINE_CACHE``, else ``$XDG_CACHE_HOME/imagine``, else ``~/.cache/imagine``."""
    if os.environ.get("IMAGINE_CACHE"):
        return Path(os.environ["IMAGINE_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "imagine"
