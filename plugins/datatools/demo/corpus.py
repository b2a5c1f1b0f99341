"""Write a demo corpus: train and eval pages as LabelImg, ground truth text, label map."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

from imagine_core.api import ImagineError, LabelMap, publish_folder, writer_for
from imagine_plugins.datatools.checks import labels_of
from imagine_plugins.datatools.demo.degrade import STEPS
from imagine_plugins.datatools.demo.render import PageStyle, corpus_text, demo_pages, page_faces

DONE = "corpus.json"


def check_style(style: PageStyle) -> None:
    unknown = [d for d in style.degradations if d not in STEPS]
    if unknown:
        raise ImagineError(
            f"unknown degradation(s): {', '.join(unknown)}",
            fix=f"choose from {', '.join(STEPS)} (or 'all', 'none')",
        )
    if not 4 <= style.min_size <= style.max_size:
        raise ImagineError(
            f"font sizes {style.min_size}-{style.max_size} are not a range of px >= 4"
        )
    shares = (("capitals", "words in capitals", style.capitals, 0.2),
              ("extras", "words with extras", style.extras, 0.1))  # fmt: skip
    for option, what, share, example in shares:
        if not 0.0 <= share <= 1.0:
            raise ImagineError(
                f"share of {what} {share} is not between 0 and 1",
                where=f"--{option} (train_input_reader.plugin.params.{option})",
                fix=f"e.g. --{option} {example}",
            )
    if style.columns < 1 or style.line_spacing < 1.0:
        raise ImagineError("columns must be >= 1 and line spacing >= 1.0")
    _check_faces(style)


def _check_faces(style: PageStyle) -> None:
    """Every font loads, every script is known and set by at least one of the fonts."""
    from imagine_plugins.datatools.demo.fonts import load_font
    from imagine_plugins.datatools.demo.scripts import SCRIPTS

    scripts = [s.strip() for s in style.scripts.split(",") if s.strip()]
    unknown = [s for s in scripts if s not in SCRIPTS]
    if unknown or not scripts:
        raise ImagineError(
            f"unknown script(s): {', '.join(unknown) or '(none given)'}",
            where="--scripts", fix=f"choose from {', '.join(SCRIPTS)}",
        )  # fmt: skip
    for font in filter(None, (f.strip() for f in style.font.split(","))):
        load_font(font, 12)  # says which file is missing or no font
    pairs = style.faces()
    unset = [s for s in scripts if not any(script == s for _, script in pairs)]
    if unset:
        raise ImagineError(
            f"no font given draws every letter of: {', '.join(unset)}",
            where="--font", fix="add a font that has those letters (e.g. DejaVu Serif)",
        )  # fmt: skip


def corpus_key(style: PageStyle, train: int, eval_: int, seed: int) -> str:
    described = json.dumps([asdict(style), train, eval_, seed, corpus_text()], sort_keys=True)
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def write_corpus(
    out: Path,
    style: PageStyle,
    *,
    train: int,
    eval_: int,
    seed: int,
    progress: bool = True,
    replace: bool = True,
) -> Path:
    """Generate into ``out`` (atomically: a finished corpus has ``corpus.json``)."""
    check_style(style)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    writer = writer_for("labelimg")
    pages = {"train": (train, seed), "eval": (eval_, seed + 1)}
    examples = {}
    for split, (count, split_seed) in pages.items():
        generated = demo_pages(count, style, split_seed, split)
        if progress:
            from rich.progress import track

            from imagine_core.api import err

            generated = track(
                generated,
                total=count,
                description=f"demo {split} pages",
                console=err,
                transient=True,
            )
        examples[split] = []
        for example, text in generated:
            examples[split].append(example)
            (tmp / split).mkdir(exist_ok=True)
            (tmp / split / (Path(example.filename).stem + ".gt.txt")).write_text(
                text + "\n", encoding="utf-8"
            )
    label_map = LabelMap.from_names(labels_of([e for split in examples.values() for e in split]))
    label_map.write(tmp / "label_map.pbtxt")
    for split, split_examples in examples.items():
        writer.write(split_examples, tmp, label_map, split=split)
    faces = {
        split: [list(face) for face in page_faces(count, style, split_seed)]
        for split, (count, split_seed) in pages.items()
    }
    info = {
        "style": asdict(style),
        "faces": faces,  # per split, each page's (font, script), in page order
        "train_pages": train,
        "eval_pages": eval_,
        "seed": seed,
        "classes": len(label_map),
    }
    (tmp / DONE).write_text(json.dumps(info, indent=2), encoding="utf-8")
    _point_paths_at(tmp, out)
    publish_folder(tmp, out, replace=replace)
    return out


def _point_paths_at(tmp: Path, out: Path) -> None:
    """LabelImg's <path> names where each image will be once the folder is published,
    not the temporary folder it was written in (which no longer exists then)."""
    written, final = str(tmp.resolve()), str(out.resolve())
    for xml in tmp.rglob("*.xml"):
        text = xml.read_text(encoding="utf-8")
        if written in text:
            xml.write_text(text.replace(written, final), encoding="utf-8")
