"""``imagine data convert``: check, split deterministically, write, and write the label map."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from imagine_core.api import DataError, Example, LabelMap, err, reader_for, writer_for
from imagine_plugins.datatools.checks import Checker, CheckResult, labels_of


def parse_split(text: str | None) -> tuple[str, float] | None:
    """``val=0.1`` -> ('val', 0.1)."""
    if not text:
        return None
    name, _, value = text.partition("=")
    try:
        fraction = float(value)
    except ValueError:
        fraction = -1.0
    if not name or not 0.0 < fraction < 1.0:
        raise DataError(f"--split {text!r} is not NAME=FRACTION", fix="e.g. --split val=0.1")
    return name, fraction


def split_examples(
    examples: list[Example], split: tuple[str, float] | None, seed: int
) -> dict[str, list[Example]]:
    """The same examples, seed and fraction always give the same split."""
    if split is None:
        return {"train": examples}
    name, fraction = split
    order = sorted(range(len(examples)), key=lambda i: (examples[i].name, examples[i].source))
    random.Random(seed).shuffle(order)
    count = round(len(examples) * fraction)
    if len(examples) > 1:
        count = min(max(count, 1), len(examples) - 1)
    held = set(order[:count])
    return {
        "train": [e for i, e in enumerate(examples) if i not in held],
        name: [e for i, e in enumerate(examples) if i in held],
    }


def refuse_output_over_source(source: str, out_dir: Path) -> None:
    """An output folder that is, or holds, the source would have its writer replace the
    user's own annotations (``convert SRC/train --to labelimg SRC`` writes SRC/train/*.xml):
    refused unless --overwrite."""
    given = Path(source).expanduser()
    if not given.exists():  # a TFRecord pattern: its folder is what is read
        given = given.parent
    src, target = given.resolve(), out_dir.expanduser().resolve()
    if src == target or target in src.parents:
        raise DataError(
            f"the output folder holds the source being read ({source}): files written there "
            "could replace your annotations and images",
            where=f"output folder {out_dir}",
            fix="choose another output folder, or pass --overwrite to write there anyway",
        )


def refuse_replacing(out_dir: Path, splits: list[str]) -> None:
    """What a conversion writes (``label_map.pbtxt``, and per split ``train.json``,
    ``train/``, ``train.record-…`` as the writer names them) already in the output folder
    is the user's, or an earlier conversion's: refused unless --overwrite."""
    out_dir = out_dir.expanduser()
    if not out_dir.is_dir():
        return
    found = sorted(
        path.name
        for path in out_dir.iterdir()
        if path.name == "label_map.pbtxt"
        or any(path.name == s or path.name.startswith(f"{s}.") for s in splits)
    )
    if found:
        raise DataError(
            f"the output folder already holds {', '.join(found[:4])}"
            + (f" and {len(found) - 4} more" if len(found) > 4 else "")
            + ", which this conversion would replace",
            where=f"output folder {out_dir}",
            fix="choose an empty output folder, or pass --overwrite to replace them",
        )


@dataclass
class Converted:
    check: CheckResult
    label_map: LabelMap
    written: dict[str, list[Path]]


def convert(
    source: str,
    out_dir: Path,
    to: str,
    *,
    fmt: str | None = None,
    shards: int = 1,
    split: str | None = None,
    seed: int = 0,
    on_error: str = "strict",
    label_map_path: str | None = None,
    overwrite: bool = False,
) -> Converted:
    if shards < 1:
        raise DataError(f"--shards must be at least 1, got {shards}")
    held_out = parse_split(split)
    if not overwrite:
        refuse_output_over_source(source, out_dir)
        refuse_replacing(out_dir, ["train", *([held_out[0]] if held_out else [])])
    label_map = LabelMap.read(label_map_path) if label_map_path else None
    writer = writer_for(to)
    reader = reader_for(source, fmt, label_map_path or "")
    result = Checker(on_error, label_map).run(reader, progress=f"reading {source}")
    if not result.examples:
        raise DataError(
            "no usable example to write",
            where=source,
            fix="`imagine data check` shows what is wrong",
        )
    label_map = label_map or LabelMap.from_names(labels_of(result.examples))
    out_dir.mkdir(parents=True, exist_ok=True)
    label_map.write(out_dir / "label_map.pbtxt")
    written = {}
    with err.status(f"writing {to} to {out_dir}"):
        for name, examples in split_examples(result.examples, held_out, seed).items():
            written[name] = writer.write(examples, out_dir, label_map, split=name, shards=shards)
    return Converted(result, label_map, written)
