"""Plain text (one line per line, reading order) and the raw detections as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from imagine_core.api import Page, Writer, write_atomic


class TextWriter(Writer):
    suffix = ".txt"

    def write(self, page: Page, out_dir: Path) -> Path:
        path = out_dir / f"{page.name}{self.suffix}"
        write_atomic(path, page.text + "\n")
        return path


def _box(box) -> list[float]:
    return [round(v, 1) for v in box]


class JsonWriter(Writer):
    """Every glyph with its box, character, score, the model's other choices at its
    place (``alternatives``: [character, score], best first) and place (region, line,
    word)."""

    suffix = ".json"

    def write(self, page: Page, out_dir: Path) -> Path:
        glyphs = []
        for r, region in enumerate(page.regions):
            for n, line in enumerate(region.lines):
                for w, word in enumerate(line.words):
                    for g in word.glyphs:
                        glyphs.append(
                            {
                                "char": g.char,
                                "box": _box(g.box),
                                "score": round(g.score, 4),
                                "uncertain": g.uncertain,
                                # the model's other choices at this place, best first
                                "alternatives": [
                                    [c, round(s, 4)] for c, s in g.alternatives if c != g.char
                                ],
                                "region": r,
                                "line": n,
                                "word": w,
                            }
                        )
        data = {
            "image": str(page.image_path) if page.image_path else None,
            "width": page.width,
            "height": page.height,
            "direction": page.direction,
            "text": page.text,
            "glyphs": glyphs,
        }
        path = out_dir / f"{page.name}{self.suffix}"
        write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1))
        return path
