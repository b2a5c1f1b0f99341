"""``input_path`` values: globs and the TF OD API's sharded names."""

from __future__ import annotations

import glob
import re
from collections.abc import Iterable
from pathlib import Path

from imagine_core.api import DataError

_AT_SHARDS = re.compile(r"^(?P<base>.+)@(?P<n>\d+)$")


def shard_name(prefix: str, index: int, count: int) -> str:
    return f"{prefix}-{index:05d}-of-{count:05d}"


def record_files_in(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and (".record" in p.name or ".tfrecord" in p.name)
    )


def expand(patterns: Iterable[str]) -> list[Path]:
    """Files matching each pattern (``x.record``, ``x-?????-of-00010``, ``x@10``, globs, or
    a folder: the record files in it)."""
    files: list[Path] = []
    for pattern in patterns:
        match = _AT_SHARDS.match(pattern)
        if match:
            pattern = f"{match['base']}-?????-of-{int(match['n']):05d}"
        folder = Path(pattern).expanduser()
        if folder.is_dir():  # what `imagine data convert` wrote: every split, every shard
            found = record_files_in(folder)
        else:
            found = sorted(Path(p) for p in glob.glob(str(folder)))
        if not found:
            raise DataError(
                "no file matches this input_path",
                where=pattern,
                fix="check the folder and the shard pattern (name-?????-of-00010)",
            )
        files.extend(f for f in found if f not in files)
    return files
