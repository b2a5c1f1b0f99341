"""The large version of tests/test_bad_input.py: every case of ``bad_data`` plus N
randomly mutated LabelImg XML, YOLO, COCO and TFRecord sets (numbers made NaN/inf/huge/
negative/text, fields deleted or retyped, labels emptied or BOM-prefixed, files truncated
or sprinkled with bytes, ids duplicated, record features retyped or cut), each read under
strict, skip and repair.

Then --pages mutated page images (truncated, bytes flipped, sizes forged, odd modes) read
as `imagine ocr` and `imagine infer` read them: pages or one DataError.

Then --configs odd `imagine config validate` command lines (NaN, inf, huge, negative,
unparsable values for rates, sizes, steps, enums and groups). Prints the counts that
must stay zero: tracebacks (an exception other than imagine's
DataError escaping), hangs (a case over --limit seconds) and silent drops (an item
neither kept nor named). Run: python tests/benchmarks/bench_fuzz.py [--cases 1000]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bad_data import CASES, bomb_png, coco, img, png, source_of, voc_good, xml, yolo_good

from imagine_core.api import reader_for
from imagine_core.errors import DataError
from imagine_plugins.datatools.checks import Checker

ODD = ["nan", "inf", "-inf", "-5", "1e309", "", " ", "abc", "99999", "0", "1.5", "\x00"]
ODD_JSON = [None, "1", 1.5, -1, True, [], {}, float("nan"), float("inf"), "x" * 5000, 10**30]


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def guarded(call: Callable[[], Any], limit: int) -> tuple[str | None, Any]:
    """(None, what ``call()`` returned), or ('error', the DataError), ('hang', None) past
    ``limit`` seconds, ('traceback', None) for any other exception (printed)."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(limit)
    try:
        return None, call()
    except DataError as exc:
        return "error", exc
    except Hang:
        return "hang", None
    except Exception:
        traceback.print_exc(limit=3)
        return "traceback", None
    finally:
        signal.alarm(0)


def cli_outcome(args: list[str], case: object) -> str:
    """'ok' (exit 0), 'error' (exit 2, one message) or 'traceback' (anything else, printed
    with the case) of `imagine ARGS` run in this process, its output swallowed."""
    import contextlib
    import io

    from imagine_core import plugins
    from imagine_core.cli import main as cli

    plugins.reset()
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            code = cli(args)
    except BaseException:
        print(case)
        traceback.print_exc(limit=3)
        return "traceback"
    return {0: "ok", 2: "error"}.get(code, "traceback")


def mutate_text(text: str, rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0 and text:  # truncate
        return text[: rng.randrange(len(text))]
    if kind == 1:  # a few random bytes (as text) somewhere
        at = rng.randrange(len(text) + 1)
        return text[:at] + "".join(chr(rng.randrange(1, 0x3000)) for _ in range(3)) + text[at:]
    if kind == 2:  # replace a number
        words = text.split(">")
        i = rng.randrange(len(words))
        return ">".join(
            [*words[:i], rng.choice(ODD) + "<" + words[i].split("<", 1)[-1], *words[i + 1 :]]
        )
    return text.replace("a", rng.choice(["", " ", "\ufeffa", "x" * 100, "a\x00"]), 1)


def voc_case(folder: Path, rng: random.Random) -> Path:
    voc_good(folder)
    png(folder / "m.png")
    xml(folder / "m.xml", name=rng.choice(["a", "b", "ſ"]))
    path = folder / "m.xml"
    path.write_text(mutate_text(path.read_text(encoding="utf-8"), rng), encoding="utf-8")
    return folder


def yolo_case(folder: Path, rng: random.Random) -> Path:
    yolo_good(folder)
    png(folder / "m.png")
    fields = ["0", "0.5", "0.5", "0.2", "0.2"]
    for _ in range(rng.randrange(1, 3)):
        fields[rng.randrange(5)] = rng.choice(ODD)
    if rng.random() < 0.2:
        fields = fields[: rng.randrange(5)]
    (folder / "m.txt").write_text(" ".join(fields) + "\n", encoding="utf-8")
    if rng.random() < 0.2:
        classes = folder / "classes.txt"
        classes.write_text(mutate_text(classes.read_text(encoding="utf-8"), rng), "utf-8")
    return folder


def coco_case(folder: Path, rng: random.Random) -> Path:
    images = [img(1), img(2), img(3)]
    anns = [
        {"id": i, "image_id": i, "category_id": 1, "bbox": [5, 5, 10, 10], "iscrowd": 0}
        for i in (1, 2, 3)
    ]
    doc = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "a"}]}
    for _ in range(rng.randrange(1, 4)):
        section = rng.choice(["images", "annotations", "categories"])
        entry = rng.choice(doc[section])
        action = rng.randrange(3)
        if action == 0:
            entry[rng.choice(sorted(entry))] = copy.deepcopy(rng.choice(ODD_JSON))
        elif action == 1:
            entry.pop(rng.choice(sorted(entry)))
        else:
            doc[section].append(copy.deepcopy(entry))
    coco(folder, images, anns)
    text = json.dumps(doc)
    if rng.random() < 0.1:
        text = text[: rng.randrange(len(text))]
    (folder / "c.json").write_text(text, encoding="utf-8")
    return folder / "c.json"


def tfrecord_case(folder: Path, rng: random.Random) -> Path:
    """Good pages written as a TFRecord, then one record's features or the file's bytes
    mutated."""
    import tensorflow as tf

    from imagine_core.labelmap import LabelMap
    from imagine_core.plugins import get_plugins

    pages = folder / "pages"
    voc_good(pages, n=3)
    examples = list(reader_for(str(pages)).items())
    parsed = [reader_for(str(pages)).parse(item) for item in examples]
    writer = get_plugins().registry.get("dataset_writer", "tfrecord").factory()
    (record,) = writer.write(parsed, folder / "rec", LabelMap.from_names(["a"]), split="eval")
    raws = list(tf.data.TFRecordDataset(str(record)).as_numpy_iterator())
    if rng.random() < 0.3:  # the file's bytes
        data = bytearray(b"".join(_framed(raw) for raw in raws))
        if rng.random() < 0.5:
            data = data[: rng.randrange(len(data))]
        else:
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        record.write_bytes(bytes(data))
        return record
    example = tf.train.Example.FromString(raws[1])
    feature = example.features.feature
    key = rng.choice(sorted(feature))
    action = rng.randrange(4)
    if action == 0:
        del feature[key]
    elif action == 1:  # an odd number
        feature[key].Clear()
        feature[key].float_list.value.append(rng.choice([float("nan"), float("inf"), -5.0, 1e30]))
    elif action == 2:  # odd bytes
        feature[key].Clear()
        feature[key].bytes_list.value.append(rng.choice([b"", b"\xff\xfe", b"x" * 5000]))
    else:  # a list of another length
        feature[key].Clear()
        feature[key].int64_list.value.extend([1] * rng.randrange(0, 4))
    raws[1] = example.SerializeToString()
    with tf.io.TFRecordWriter(str(record)) as out:
        for raw in raws:
            out.write(raw)
    return record


def _framed(raw: bytes) -> bytes:
    """One record as TFRecord frames it (length, CRCs), for byte-level mutation."""
    import tensorflow as tf

    with tempfile.NamedTemporaryFile() as tmp:
        with tf.io.TFRecordWriter(tmp.name) as out:
            out.write(raw)
        return Path(tmp.name).read_bytes()


def page_case(folder: Path, rng: random.Random) -> Path:
    """A page image with its bytes cut, flipped or its header's size forged, or in an
    odd mode."""
    from PIL import Image

    folder.mkdir(parents=True)
    path = folder / rng.choice(["p.png", "p.jpg", "p.tif", "p.bmp", "p.gif", "p.webp"])
    mode = rng.choice(["RGB", "L", "1", "P", "RGBA", "I;16", "I", "F", "CMYK", "LA"])
    image = Image.new(mode if mode != "I;16" else "I", (rng.randrange(1, 90), rng.randrange(1, 90)))
    try:
        image.save(path)
    except (OSError, ValueError, KeyError):  # a mode the format cannot hold
        path = path.with_suffix(".png")
        image.convert("RGB").save(path)
    data = bytearray(path.read_bytes())
    action = rng.randrange(4)
    if action == 0:
        data = data[: rng.randrange(len(data))]
    elif action == 1:
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif action == 2 and path.suffix == ".png":
        path.write_bytes(bytes(data))
        bomb_png(path, w=rng.choice([0, 1, 65535, 30000]), h=rng.choice([0, 1, 65535, 30000]))
        return path
    path.write_bytes(bytes(data))
    return path


def run_page(path: Path, limit: int) -> str:
    """'ok' (pages read as RGB arrays), 'error' (one DataError), 'traceback' or 'hang'."""
    from imagine_plugins.ocr.images import read_pages

    outcome, pages = guarded(lambda: list(read_pages(path)), limit)
    if outcome:
        return outcome
    ok = bool(pages) and all(p.image.ndim == 3 and p.image.shape[2] == 3 for p in pages)
    return "ok" if ok else "silent"


# Broken third-party plugins: a module whose import or hooks raise, or return or
# register what no contract allows.
PLUGIN_HOOKS = {
    "imagine_register": "registry",
    "imagine_config_dirs": "",
    "imagine_reads": "",
    "imagine_check_pipeline": "pipeline",
    "imagine_fit_pipeline": "pipeline, given",
}
PLUGIN_RAISES = [
    "SystemExit(3)",
    "SystemExit('bye')",
    "KeyboardInterrupt()",
    "ValueError('bug')",
    "RecursionError()",
    "ImportError('needs numpy 0.1')",
    "MemoryError()",
    "OSError(2, 'gone')",
]
PLUGIN_RETURNS = ["None", "5", "'x'", "[1, 2]", "{'a': 1}", "['pkg://no_such_pkg.conf']",
                  "[object()]", "['/no/such/dir']", "[None]", "iter([1])"]  # fmt: skip
PLUGIN_REGISTERS = [
    "registry.add('no_such_kind', 'x', factory=lambda **_: None)",
    "registry.add('writer', '', factory=lambda **_: None)",
    "registry.add('command', 'ocr', factory=lambda **_: None)",
    "registry.add('writer', 'txt', factory=lambda **_: None)",
    "registry.add('command', 'run', factory=lambda **_: None)",
    "registry.add('writer', 'x' * 500, factory=None)",
]


def plugin_source(rng: random.Random) -> str:
    lines = ["from imagine_core import hookimpl"]
    if rng.random() < 0.2:
        lines.append(f"raise {rng.choice(PLUGIN_RAISES)}")
    for hook in rng.sample(sorted(PLUGIN_HOOKS), rng.randrange(1, 4)):
        kind = rng.randrange(3)
        if kind == 0:
            body = f"raise {rng.choice(PLUGIN_RAISES)}"
        elif kind == 1 and hook == "imagine_register":
            body = rng.choice(PLUGIN_REGISTERS)
        else:
            body = f"return {rng.choice(PLUGIN_RETURNS)}"
        marked = "@hookimpl\n" if rng.random() < 0.8 else ""
        lines.append(f"{marked}def {hook}({PLUGIN_HOOKS[hook]}):\n    {body}")
    return "\n\n".join(lines) + "\n"


def run_plugin(source: str, folder: Path, n: int) -> str:
    """'ok' (the command worked, the plugin named if it broke), 'error' (exit 2, one
    message) or 'traceback'; each of `imagine plugins` and `config validate`."""
    from importlib.metadata import EntryPoint

    from imagine_core import plugins

    module = f"imagine_plugin_fuzz_{n}"
    (folder / f"{module}.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(folder))
    real = plugins.entry_points
    point = EntryPoint(f"fuzz{n}", module, plugins.GROUP)
    plugins.entry_points = lambda group: [*real(group=group), point] if group else []
    try:
        commands = (["plugins"], ["config", "validate", "--skip-paths"])
        outcomes = [cli_outcome(command, source) for command in commands]
    finally:
        plugins.entry_points = real
        sys.path.remove(str(folder))
        plugins.reset()
    return "traceback" if "traceback" in outcomes else "error" if "error" in outcomes else "ok"


# Command-line overrides of `imagine config validate`, each given an odd value.
CONFIG_KEYS = [
    "lr",
    "steps",
    "batch_size",
    "ocr.tile_size",
    "ocr.tile_overlap",
    "ocr.min_score",
    "ocr.direction",
    "ocr.batch_size",
    "model.ssd.num_classes",
    "model.ssd.image_resizer.fixed_shape_resizer.height",
    "train_config.optimizer.adam_optimizer.learning_rate.constant_learning_rate.learning_rate",
    "eval_config.num_examples",
    "hardware.type",
    "model",
    "dataset",
    "train",
]
ODD_CONFIG = [
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "1e309",
    "''",
    "null",
    "[1,2",
    "[1,2]",
    "{a: 1}",
    "x" * 300,
    "ü",
    "true",
    "0.5",
    "99999999999999999999",
    "${oops}",
]


def config_case(rng: random.Random) -> list[str]:
    picked = rng.sample(CONFIG_KEYS, rng.randrange(1, 3))
    return [f"{key}={rng.choice(ODD_CONFIG)}" for key in picked]


def run_config(overrides: list[str]) -> str:
    """'ok' (valid), 'error' (exit 2 with a message) or 'traceback'."""
    return cli_outcome(["config", "validate", *overrides], overrides)


def run_case(source: Path, policy: str, limit: int) -> str:
    """'ok', 'error' (one DataError: fine), 'contained' (a reader's unexpected error, kept
    from the user as one message), 'traceback', 'hang' or 'silent'."""
    outcome, result = guarded(lambda: Checker(policy).run(reader_for(str(source))), limit)
    if outcome == "error":  # an unexpected error the checker could only contain:
        return "contained" if "cannot be listed" in result.what else "error"
    if outcome:
        return outcome
    # One 'skipped' issue per item left out; a box dropped under repair leaves its page in.
    if result.items - len(result.examples) > result.count("skipped"):
        return "silent"
    return "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="mutated sets (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=20, help="seconds before a case hangs")
    parser.add_argument("--configs", type=int, default=300, help="odd config overrides (300)")
    parser.add_argument("--pages", type=int, default=500, help="mutated page images (500)")
    parser.add_argument("--plugins", type=int, default=200, help="broken plugins (200)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    makers = [voc_case, yolo_case, coco_case, tfrecord_case]
    counts: dict[str, int] = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sources = []
        for name, build in CASES.items():
            build(root / name)
            sources.append(source_of(root / name))
        for n in range(args.cases):
            sources.append(makers[n % len(makers)](root / f"m{n}", rng))
        for source in sources:
            for policy in ("strict", "skip", "repair"):
                outcome = run_case(source, policy, args.limit)
                counts[outcome] = counts.get(outcome, 0) + 1
        pages: dict[str, int] = {}
        for n in range(args.pages):
            outcome = run_page(page_case(root / f"page{n}", rng), args.limit)
            pages[outcome] = pages.get(outcome, 0) + 1
        broken: dict[str, int] = {}
        for n in range(args.plugins):
            outcome = run_plugin(plugin_source(rng), root, n)
            broken[outcome] = broken.get(outcome, 0) + 1
    configs: dict[str, int] = {}
    for _ in range(args.configs):
        outcome = run_config(config_case(rng))
        configs[outcome] = configs.get(outcome, 0) + 1
    total = sum(counts.values())
    print(
        f"{len(sources)} annotation sets x 3 policies = {total} runs "
        f"in {time.perf_counter() - start:.0f} s"
    )
    for outcome in ("ok", "error", "contained", "traceback", "hang", "silent"):
        print(f"  {outcome:>10}: {counts.get(outcome, 0)}")
    print(
        f"{args.pages} mutated page images: "
        + ", ".join(
            f"{k} {pages.get(k, 0)}" for k in ("ok", "error", "traceback", "hang", "silent")
        )
    )
    print(
        f"{args.plugins} broken plugins (`imagine plugins`, `config validate`): "
        + ", ".join(f"{k} {broken.get(k, 0)}" for k in ("ok", "error", "traceback"))
    )
    print(
        f"{args.configs} odd `imagine config validate` command lines: "
        + ", ".join(f"{k} {configs.get(k, 0)}" for k in ("ok", "error", "traceback"))
    )
    print(
        "tracebacks, hangs and silent drops must be 0; 'error' is one clear DataError "
        "(strict, or a source that cannot be read at all)"
    )


if __name__ == "__main__":
    main()
