"""The evaluators: COCO detection metrics (pycocotools) and character error rate (rapidfuzz).

Both take, per page, ground truth and detections as dicts with ``boxes``
(xmin, ymin, xmax, ymax in pixels) and ``labels`` (characters); detections add
``scores``.
"""

from __future__ import annotations

import contextlib
import io
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from imagine_core.api import Evaluator

MAX_DETECTIONS = 1000  # a page holds hundreds of glyphs; COCO's default of 100 is too few


class CocoDetectionMetrics(Evaluator):
    def __init__(self, min_score: float = 0.0):
        self.images: list[dict] = []
        self.groundtruth: list[dict] = []
        self.detections: list[dict] = []
        self.labels: dict[str, int] = {}
        self.min_score = min_score

    def _label(self, name: str) -> int:
        return self.labels.setdefault(name, len(self.labels) + 1)

    def add(self, groundtruth: dict[str, Any], detections: dict[str, Any]) -> None:
        image_id = len(self.images) + 1
        self.images.append(
            {
                "id": image_id,
                "width": groundtruth.get("width", 0),
                "height": groundtruth.get("height", 0),
            }
        )
        for (x0, y0, x1, y1), label in zip(
            groundtruth["boxes"], groundtruth["labels"], strict=True
        ):
            self.groundtruth.append(
                {
                    "id": len(self.groundtruth) + 1,
                    "image_id": image_id,
                    "category_id": self._label(label),
                    "iscrowd": 0,
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "area": (x1 - x0) * (y1 - y0),
                }
            )
        for (x0, y0, x1, y1), label, score in zip(
            detections["boxes"], detections["labels"], detections["scores"], strict=True
        ):
            if score < self.min_score:
                continue
            self.detections.append(
                {
                    "image_id": image_id,
                    "category_id": self._label(label),
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "score": float(score),
                }
            )

    def primary(self, result: dict[str, float]) -> float | None:
        return 1.0 - result["mAP"] if "mAP" in result else None

    def result(self) -> dict[str, float]:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        if not self.groundtruth:
            return {}
        import numpy as np

        gt = COCO()
        gt.dataset = {
            "images": self.images,
            "annotations": self.groundtruth,
            "categories": [{"id": i, "name": n} for n, i in self.labels.items()],
        }
        with contextlib.redirect_stdout(io.StringIO()):
            gt.createIndex()
            dt = gt.loadRes(self.detections) if self.detections else COCO()
            if not self.detections:
                return {"mAP": 0.0, "mAP@0.5": 0.0, "mAP@0.75": 0.0, f"AR@{MAX_DETECTIONS}": 0.0}
            run = COCOeval(gt, dt, "bbox")
            run.params.maxDets = [1, 10, MAX_DETECTIONS]
            run.evaluate()
            run.accumulate()
        # precision: [IoU thresholds, recall points, classes, areas, max dets]; area 0 is 'all'.
        precision = run.eval["precision"][:, :, :, 0, -1]
        recall = run.eval["recall"][:, :, 0, -1]

        def mean(values) -> float:
            valid = values[values > -1]
            return float(np.mean(valid)) if valid.size else 0.0

        return {
            "mAP": mean(precision),
            "mAP@0.5": mean(precision[0]),
            "mAP@0.75": mean(precision[5]),
            f"AR@{MAX_DETECTIONS}": mean(recall),
        }


def normalise_text(text: str) -> str:
    """NFC, one space between words, no blank lines or line-end spaces: layout whitespace
    is not an error the reader can fix."""
    lines = (" ".join(line.split()) for line in unicodedata.normalize("NFC", text).splitlines())
    return "\n".join(line for line in lines if line)


@dataclass
class PageScore:
    name: str
    characters: int
    errors: int
    words: int
    word_errors: int

    @property
    def cer(self) -> float:
        return self.errors / max(self.characters, 1)

    @property
    def wer(self) -> float:
        return self.word_errors / max(self.words, 1)


class CharacterErrorRate(Evaluator):
    """Character and word error rate (Levenshtein, rapidfuzz) of the text read from the
    detections against the page's true text — its ``.gt.txt`` when the data has one, else
    the text its glyph boxes spell — both assembled by the OCR text assembler."""

    def __init__(
        self, assembler: Any = None, min_score: float = 0.3, direction: str = "ltr"
    ) -> None:
        self.assembler = assembler
        self.min_score = min_score
        self.direction = direction
        self.pages: list[PageScore] = []
        self.confusions: Counter[tuple[str, str]] = Counter()
        self.top = 15  # confusions listed by tables()

    def read(self, boxes: Any, labels: Any, scores: Any = None) -> str:
        from imagine_core.api import Glyph

        scores = [1.0] * len(labels) if scores is None else scores
        glyphs = [
            Glyph(tuple(b), label, score)
            for b, label, score in zip(boxes, labels, scores, strict=True)
            if score >= self.min_score
        ]
        regions = self.assembler.assemble(glyphs, self.direction)
        return "\n".join(line.text for region in regions for line in region.lines)

    def add(self, groundtruth: dict[str, Any], detections: dict[str, Any]) -> None:
        truth = groundtruth.get("text")
        if truth is None:
            truth = self.read(groundtruth["boxes"], groundtruth["labels"])
        found = self.read(detections["boxes"], detections["labels"], detections["scores"])
        self.add_text(groundtruth.get("name", f"page {len(self.pages) + 1}"), truth, found)

    def add_text(self, name: str, truth: str, found: str) -> PageScore:
        """Score one page's text; tally which characters were confused."""
        from rapidfuzz.distance import Levenshtein

        truth, found = normalise_text(truth), normalise_text(found)
        operations = Levenshtein.editops(truth, found)
        for op in operations:
            if op.tag == "replace":
                self.confusions[(truth[op.src_pos], found[op.dest_pos])] += 1
            elif op.tag == "delete":
                self.confusions[(truth[op.src_pos], "")] += 1
            else:
                self.confusions[("", found[op.dest_pos])] += 1
        score = PageScore(
            name,
            len(truth),
            len(operations),
            len(truth.split()),
            Levenshtein.distance(truth.split(), found.split()),
        )
        self.pages.append(score)
        return score

    def result(self) -> dict[str, float]:
        characters = sum(p.characters for p in self.pages)
        words = sum(p.words for p in self.pages)
        return {
            "CER": sum(p.errors for p in self.pages) / max(characters, 1),
            "WER": sum(p.word_errors for p in self.pages) / max(words, 1),
        }

    def primary(self, result: dict[str, float]) -> float | None:
        return result.get("CER")

    def tables(self) -> list[Any]:
        from imagine_plugins.evaluation.report import confusion_table, page_table

        return [page_table(self), confusion_table(self, self.top)] if self.pages else []
