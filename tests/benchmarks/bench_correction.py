"""The LabelImg correction loop, played: read a new page, correct it, retrain, repeat.

    python tests/benchmarks/bench_correction.py [--doc blankenburg] [--rounds 2]
        [--steps 1000] [--retrain-steps 400] [--pages 200] [--work DIR [--reuse-round0]]

Round 0 is the few-shot start of ``bench_fewshot.py`` (page 0 marked, one instance per
character). In round k, page k is read with ``imagine ocr --labelimg``; the benchmark then
plays the user correcting that XML in LabelImg — a detection that matches a true glyph
(IoU >= 0.5) keeps its box and gets the true label, a missed glyph is added, a false one
removed — puts the corrected page beside the composed ones (``--marked-copies`` times) and
retrains from the last model (``fine_tune_checkpoint``). It prints CER on the held-out
pages (the last two) after every round, with the minutes each round took.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_fewshot import DOCUMENTS, cer, imagine, mark, render, synth_and_train


def iou(a, b) -> float:
    w = min(a.xmax, b.xmax) - max(a.xmin, b.xmin)
    h = min(a.ymax, b.ymax) - max(a.ymin, b.ymin)
    inter = max(w, 0) * max(h, 0)
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def correct(detected: Path, truth: Path) -> tuple[int, int]:
    """Rewrite ``detected`` (LabelImg XML) as the user would after correcting it; returns
    how many boxes were relabelled or added, and how many removed."""
    from dataclasses import replace

    from imagine_plugins.labelimg.voc import parse_voc, voc_xml

    found, true = parse_voc(detected), parse_voc(truth)
    kept, fixed, unmatched = [], 0, list(true.boxes)
    for box in found.boxes:
        best = max(unmatched, key=lambda t: iou(box, t), default=None)
        if best is not None and iou(box, best) >= 0.5:
            unmatched.remove(best)
            fixed += box.label != best.label
            kept.append(replace(box, label=best.label))
    removed = len(found.boxes) - len(kept)
    found.boxes = kept + unmatched
    detected.write_bytes(voc_xml(found, detected.with_name(found.filename)))
    return fixed + len(unmatched), removed


def add_new_labels(corrected: Path, label_map_file: Path) -> list[str]:
    """What the user does when `imagine run` names a label missing from the label map:
    add it (a corrected page often brings a character the first marks lacked)."""
    from imagine_core.labelmap import LabelMap
    from imagine_plugins.labelimg.voc import parse_voc

    label_map = LabelMap.read(label_map_file)
    new = sorted({b.label for b in parse_voc(corrected).boxes} - set(label_map.names))
    if new:
        LabelMap.from_names([*label_map.names, *new]).write(label_map_file)
    return new


def held_out_cer(work: Path, run: str, pages: list[Path], env) -> float:
    out = work / f"read-{run}"
    imagine(
        "ocr",
        "--model",
        run,
        *map(str, pages),
        "--out",
        str(out),
        "--format",
        "txt",
        cwd=work,
        env=env,
    )
    errors = characters = 0.0
    for page in pages:
        truth = page.with_name(page.stem + ".gt.txt").read_text(encoding="utf-8")
        found = (out / f"{page.stem}.txt").read_text(encoding="utf-8")
        errors += cer(truth, found) * len(truth)
        characters += len(truth)
    return errors / max(characters, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", default="blankenburg")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--retrain-steps", type=int, default=400)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--work", type=Path, help="keep everything here (default: a temp dir)")
    parser.add_argument(
        "--reuse-round0", action="store_true", help="keep the round-0 run found in --work"
    )
    args = parser.parse_args()
    doc = next(d for d in DOCUMENTS if d.name == args.doc)
    work = args.work or Path(os.environ.get("TMPDIR", "/tmp")) / f"correction-{doc.name}"
    reuse = args.reuse_round0 and (work / "run0" / "metrics.json").is_file()
    if reuse:  # the same pages (fixed seed); drop what the later rounds wrote
        later = ("run[1-9]*", "new*", "ocr*", "read-*")
        for old in [p for pattern in later for p in work.glob(pattern)]:
            shutil.rmtree(old)
        for old in (work / "synth" / "train").glob("corrected*"):
            old.unlink()
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    env = {**os.environ, "IMAGINE_CACHE": str(work / "cache")}
    pages = render(doc, work / "pages", args.rounds + 3, seed=2)
    held = pages[-2:]
    mark(pages[0], work / "marked", "one")
    start = time.perf_counter()
    if not reuse:
        synth_and_train(work, env, args.pages, args.steps, "run0")
    minutes = (time.perf_counter() - start) / 60
    print(
        f"round 0 ({doc.name}, page 0 marked once per character): CER "
        f"{held_out_cer(work, 'run0', held, env):.3f} on {len(held)} held-out pages, "
        f"{minutes:.1f} min",
        flush=True,
    )
    for k in range(1, args.rounds + 1):
        start = time.perf_counter()
        folder = work / f"new{k}"
        folder.mkdir()
        image = shutil.copy(pages[k], folder / pages[k].name)
        imagine(
            "ocr",
            "--model",
            f"run{k - 1}",
            str(image),
            "--out",
            str(work / f"ocr{k}"),
            "--labelimg",
            "--format",
            "txt",
            cwd=work,
            env=env,
        )
        added, removed = correct(folder / f"{pages[k].stem}.xml", pages[k].with_suffix(".xml"))
        new_labels = add_new_labels(
            folder / f"{pages[k].stem}.xml", work / "synth" / "label_map.pbtxt"
        )
        for copy in range(args.copies):
            for suffix in (".png", ".xml"):
                shutil.copy(
                    folder / (pages[k].stem + suffix),
                    work / "synth" / "train" / f"corrected{k}_{copy:02d}{suffix}",
                )
        imagine(
            "run",
            "dataset=labelimg",
            "data_dir=synth",
            f"steps={args.retrain_steps}",
            f"+train_config.fine_tune_checkpoint=run{k - 1}",
            "+train_config.fine_tune_checkpoint_type=detection",
            f"hydra.run.dir=run{k}",
            cwd=work,
            env=env,
        )
        minutes = (time.perf_counter() - start) / 60
        score = held_out_cer(work, f"run{k}", held, env)
        print(
            f"round {k} (page {k} corrected: {added} boxes relabelled or added, {removed} "
            f"removed, new labels {''.join(new_labels) or '-'}): CER {score:.3f}, "
            f"{minutes:.1f} min",
            flush=True,
        )


if __name__ == "__main__":
    main()
