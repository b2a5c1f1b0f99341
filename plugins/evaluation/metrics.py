"""The evaluators: COCO detection metrics (pycocotools) and character error rate (rapidfuzz).

Both take, per page, ground truth and detections as dicts with ``boxes``
(xmin, ymin, xmax, ymax in pixels) and ``labels`` (characters); detections add
``scores``.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

from imagine_core.contracts import Evaluator
from imagine_plugins.evaluation.text import text_of

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
            self.detections.append(
                {
                    "image_id": image_id,
                    "category_id": self._label(label),
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "score": float(score),
                }
            )

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


class CharacterErrorRate(Evaluator):
    """Edit distance between the text of the ground-truth glyphs and of the detected ones,
    both read with the same line grouping, over all pages."""

    def __init__(self, min_score: float = 0.3):
        self.min_score = min_score
        self.errors = 0
        self.characters = 0
        self.word_errors = 0
        self.words = 0

    def add(self, groundtruth: dict[str, Any], detections: dict[str, Any]) -> None:
        from rapidfuzz.distance import Levenshtein

        truth = text_of(groundtruth["boxes"], groundtruth["labels"])
        kept = [i for i, s in enumerate(detections["scores"]) if s >= self.min_score]
        read = text_of(
            [detections["boxes"][i] for i in kept], [detections["labels"][i] for i in kept]
        )
        self.errors += Levenshtein.distance(truth, read)
        self.characters += len(truth)
        self.word_errors += Levenshtein.distance(truth.split(), read.split())
        self.words += len(truth.split())

    def result(self) -> dict[str, float]:
        return {
            "CER": self.errors / max(self.characters, 1),
            "WER": self.word_errors / max(self.words, 1),
        }
