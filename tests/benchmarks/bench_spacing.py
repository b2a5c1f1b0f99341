"""Word spaces from glyph boxes alone: how the text assembler's word-space rule does on many
faces, with boxes as a detector gives them (a little taller or wider than the ink, some
glyphs missed, a little jitter).

    python tests/benchmarks/bench_spacing.py [--pages 2] [--fonts GLOB,…]

It renders pages with the demo renderer in every face below that is installed (none of the
few-shot benchmark's held-out faces: this is where the assembler may be tuned), takes the
true glyph boxes, perturbs them, assembles them with ``imagine ocr``'s assembler and
prints, per face and perturbation, the word spaces lost and added per true space and the
CER of the text, then the totals. Only the assembler runs: seconds, no model.
"""

from __future__ import annotations

import argparse
import fnmatch
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FONTS = Path("/usr/share/fonts")
GEORGIAN = dict(zip("abcdefghijklmnopqrstuvwxyz", "აბცდეფგჰიჯკლმნოპქრსტუვწხყზ", strict=True))
GREEK = dict(zip("abcdefghijklmnopqrstuvwxyz", "αβξδεφγηιςκλμνοπθρστυωψχυζ", strict=True))
# Faces by pattern below /usr/share/fonts, with the letters their text is written in.
FACES = [
    ("truetype/dejavu/DejaVuSerif.ttf", None),
    ("truetype/dejavu/DejaVuSans.ttf", None),
    ("truetype/dejavu/DejaVuSansMono.ttf", None),
    ("truetype/dejavu/DejaVuSerifCondensed-Italic.ttf", None),
    ("truetype/dejavu/DejaVuSansCondensed-Bold.ttf", None),
    ("truetype/dejavu/DejaVuSerif.ttf", GREEK),
    ("opentype/gotico-antiqua/Rusch-GoticoAntiqua100G.otf", None),
    ("opentype/gotico-antiqua/Hamlet-Cicero12.otf", None),
    ("opentype/gotico-antiqua/Jessen-Mittel14.otf", None),
    ("opentype/gotico-antiqua/Spira-ProtoRoman110R.otf", None),
    ("opentype/gotico-antiqua/Zainer-GoticoAntiqua96G.otf", None),
    ("truetype/fonts-bpg-georgian/BPG_Algeti_GPL&GNU.ttf", GEORGIAN),
    ("truetype/fonts-bpg-georgian/BPG_Nateli_Condenced_GPL&GNU.ttf", GEORGIAN),
    ("truetype/fonts-bpg-georgian/BPG_Glaho_GPL&GNU.ttf", GEORGIAN),
    ("truetype/fonts-bpg-georgian/BPG_Ingiri_GPL&GNU.ttf", GEORGIAN),
    ("truetype/noto/NotoSerif-Regular.ttf", None),
    ("truetype/noto/NotoSans-CondensedItalic.ttf", None),
    ("truetype/noto/NotoSerif-CondensedBold.ttf", None),
    ("truetype/noto/NotoSerif-Italic.ttf", GREEK),
]


@dataclass(frozen=True)
class Boxes:
    """How a detector's boxes differ from the ink: grown by ``grow`` of the glyph's height
    (each side), ``missed`` of the glyphs not found, centres moved by ``jitter`` heights."""

    name: str
    grow: float = 0.0
    missed: float = 0.0
    jitter: float = 0.0


PERTURBATIONS = [
    Boxes("ink boxes"),
    Boxes("grown 5%", grow=0.05),
    Boxes("grown 5%, 3% missed, jitter", grow=0.05, missed=0.03, jitter=0.03),
    Boxes("grown 10%, 6% missed, jitter", grow=0.10, missed=0.06, jitter=0.05),
]


def perturbed(boxes, how: Boxes, rng: np.random.Generator) -> list:
    from imagine_core.api import Glyph

    glyphs = []
    for box in boxes:
        if rng.random() < how.missed:
            continue
        height = box.ymax - box.ymin
        grow = how.grow * height
        dx, dy = rng.normal(0.0, how.jitter * height, 2)
        moved = (box.xmin + dx, box.ymin + dy, box.xmax + dx, box.ymax + dy)
        grown = (moved[0] - grow, moved[1] - grow, moved[2] + grow, moved[3] + grow)
        glyphs.append(Glyph(grown, box.label, 0.9))
    return glyphs


def space_errors(truth: str, found: str) -> tuple[int, int, int, int]:
    """(true spaces, spaces lost, spaces added, all edits) between two texts."""
    from rapidfuzz.distance import Levenshtein

    lost = added = 0
    operations = Levenshtein.editops(truth, found)
    for op in operations:
        if op.tag in ("delete", "replace") and truth[op.src_pos] == " ":
            lost += 1
        if op.tag in ("insert", "replace") and found[op.dest_pos] == " ":
            added += 1
    return truth.count(" "), lost, added, len(operations)


def one_face(font: Path, letters, pages: int, rng: np.random.Generator) -> dict:
    from imagine_plugins.datatools.demo import render as demo
    from imagine_plugins.ocr.assemble import LineAssembler

    text = demo.corpus_text()
    if letters:
        text = "".join(letters.get(ch, letters.get(ch.lower(), ch)) for ch in text)
    style = demo.PageStyle(width=1000, height=1300, font=str(font), min_size=22, max_size=36,
                           line_spacing=1.4, degradations=[], strength=0.0)  # fmt: skip
    rows = {how.name: np.zeros(5) for how in PERTURBATIONS}
    for _ in range(pages):
        _, boxes, truth = demo.render_page(text, int(rng.integers(0, 5000)), style, rng)
        for how in PERTURBATIONS:
            regions = LineAssembler().assemble(perturbed(boxes, how, rng))
            found = "\n".join(line.text for region in regions for line in region.lines)
            rows[how.name] += [*space_errors(truth, found), len(truth)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--fonts", default="", help="only faces matching these globs")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    totals = {how.name: np.zeros(5) for how in PERTURBATIONS}
    print(f"{'face':44s} {'boxes':32s} {'lost':>6s} {'added':>6s} {'CER':>6s}")
    for pattern, letters in FACES:
        if args.fonts and not any(fnmatch.fnmatch(pattern, g) for g in args.fonts.split(",")):
            continue
        font = FONTS / pattern
        if not font.is_file():
            print(f"{pattern}: not installed, skipped")
            continue
        label = (
            Path(pattern).stem[:30]
            + (" (Georgian)" if letters is GEORGIAN else "")
            + (" (Greek)" if letters is GREEK else "")
        )
        for name, row in one_face(font, letters, args.pages, rng).items():
            totals[name] += row
            spaces, lost, added, edits, chars = row
            print(f"{label:44s} {name:32s} {lost / spaces:6.1%} {added / spaces:6.1%} "
                  f"{edits / chars:6.2%}")  # fmt: skip
    print()
    for name, (spaces, lost, added, edits, chars) in totals.items():
        print(f"{'all faces':44s} {name:32s} {lost / spaces:6.1%} {added / spaces:6.1%} "
              f"{edits / chars:6.2%}")  # fmt: skip


if __name__ == "__main__":
    main()
