"""PASCAL VOC and Open Images detection metrics, computed as the TF Object Detection API
computes them (``object_detection_evaluation.py`` and ``per_image_evaluation.py``), so a
figure here means what it means there.

Per page and class, detections are taken best score first. Each one matches the unmatched
ground-truth box it overlaps most if the IoU is at least 0.5: a true positive, a later
duplicate a false positive. A detection on a *difficult* box is ignored. Detections left
over that lie inside a *group-of* box (intersection over the detection's area >= 0.5) are
ignored too (Open Images V2), or, in the challenge protocol, the group-of box counts once as
a true positive with the best score among them (``group_of_weight`` 1). Average precision
is VOC 2010's: the area under the precision/recall curve, precision made monotone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imagine_core.api import ConfigError, Evaluator

IOU_THRESHOLD = 0.5
SHOWN_CLASSES = 20  # rows of the per-class table; every class is in eval.json on request


def _areas(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[N, M] intersection areas of boxes (xmin, ymin, xmax, ymax)."""
    width = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    height = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(width, 0, None) * np.clip(height, 0, None)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    inter = _intersections(a, b)
    union = _areas(a)[:, None] + _areas(b)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def ioa(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over the area of each box of ``a`` ([N, M])."""
    inter = _intersections(a, b)
    area = _areas(a)[:, None]
    return np.divide(inter, area, out=np.zeros_like(inter), where=area > 0)


@dataclass
class ClassTally:
    """What one class gathered over the pages: scored outcomes and the positives to find."""

    scores: list[float] = field(default_factory=list)
    hits: list[float] = field(default_factory=list)  # 1 true positive, 0 false, or a weight
    positives: float = 0.0
    instances: int = 0  # ground-truth boxes of the class, difficult and group-of included


def match_page_class(
    boxes: np.ndarray,
    scores: np.ndarray,
    truth: np.ndarray,
    difficult: np.ndarray,
    group_of: np.ndarray,
    group_of_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One class on one page: the scores that count and their outcome (1, 0 or a weight)."""
    valid = (boxes[:, 0] < boxes[:, 2]) & (boxes[:, 1] < boxes[:, 3])
    boxes, scores = boxes[valid], scores[valid]
    order = np.argsort(-scores, kind="stable")
    boxes, scores = boxes[order], scores[order]
    hit = np.zeros(len(boxes), dtype=bool)
    on_difficult = np.zeros(len(boxes), dtype=bool)
    single, groups = truth[~group_of], truth[group_of]
    if len(single):
        overlaps = iou(boxes, single)
        best = overlaps.argmax(axis=1)
        taken = np.zeros(len(single), dtype=bool)
        single_difficult = difficult[~group_of]
        for i, j in enumerate(best):
            if overlaps[i, j] < IOU_THRESHOLD:
                continue
            if single_difficult[j]:
                on_difficult[i] = True
            elif not taken[j]:
                hit[i] = taken[j] = True
    in_group = np.zeros(len(boxes), dtype=bool)
    group_scores = np.zeros(len(groups))
    if len(groups):
        inside = ioa(boxes, groups)
        best = inside.argmax(axis=1)
        for i, j in enumerate(best):
            if not hit[i] and not on_difficult[i] and inside[i, j] >= IOU_THRESHOLD:
                in_group[i] = True
                group_scores[j] = max(group_scores[j], scores[i])
    counted = ~on_difficult & ~in_group
    found_groups = group_scores > 0 if group_of_weight > 0 else np.zeros(len(groups), bool)
    return (
        np.concatenate([scores[counted], group_scores[found_groups]]),
        np.concatenate([hit[counted].astype(float), np.full(found_groups.sum(), group_of_weight)]),
    )


def average_precision(scores: np.ndarray, hits: np.ndarray, positives: float) -> float:
    """VOC 2010 AP: the area under the monotone precision/recall curve."""
    if positives <= 0:
        return float("nan")
    if not len(scores):
        return 0.0
    order = np.argsort(-scores, kind="stable")
    hits = hits[order]
    true = np.cumsum(hits)
    false = np.cumsum(hits <= 0)
    precision = np.concatenate([[0.0], true / (true + false), [0.0]])
    recall = np.concatenate([[0.0], true / positives, [1.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) * precision[steps]))


def load_hierarchy(path: str) -> dict[str, set[str]]:
    """Each class's ancestors, from an Open Images hierarchy JSON
    (``{"LabelName": ..., "Subcategory": [...]}``, nested)."""
    try:
        tree = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the class hierarchy ({exc})",
            where="eval_config.class_hierarchy_file",
            fix="give an Open Images hierarchy JSON: "
            '{"LabelName": "root", "Subcategory": [{"LabelName": "a"}, ...]}',
        ) from None
    ancestors: dict[str, set[str]] = defaultdict(set)

    def walk(node: dict, above: tuple[str, ...]) -> None:
        name = node.get("LabelName")
        if name is None:
            raise ConfigError(
                "a node of the class hierarchy has no LabelName",
                where=f"{path} (eval_config.class_hierarchy_file)",
            )
        ancestors[name].update(above)
        for child in node.get("Subcategory", []):
            walk(child, (*above, name))

    walk(tree, ())
    return dict(ancestors)


class DetectionMetrics(Evaluator):
    """PASCAL VOC or Open Images AP at IoU 0.5 for every class with ground truth, and their
    mean; ``weighted`` pools all classes' detections into one curve (weighted by how many
    positives each class has). Per-class figures join the result when asked for
    (``eval_config.include_metrics_per_category``); the table lists the rarest class first."""

    def __init__(
        self,
        prefix: str,
        *,
        weighted: bool = False,
        group_of_weight: float = 0.0,
        open_images: bool = False,
        verified_only: bool = False,
        hierarchy: dict[str, set[str]] | None = None,
        per_category: bool = False,
    ) -> None:
        self.prefix = prefix
        self.weighted = weighted
        self.group_of_weight = group_of_weight
        # VOC honours difficult and reads group-of as an ordinary box; Open Images the reverse.
        self.open_images = open_images
        self.verified_only = verified_only
        self.hierarchy = hierarchy or {}
        self.per_category = per_category
        self.classes: dict[str, ClassTally] = defaultdict(ClassTally)

    @property
    def key(self) -> str:
        return f"{self.prefix}_Precision/mAP@{IOU_THRESHOLD}IOU"

    def _expanded(self, labels: list[str], *lists: list) -> tuple[list[str], list[list]]:
        """Ground truth copied to every ancestor class of its label (Open Images)."""
        out_labels = list(labels)
        out_lists = [list(values) for values in lists]
        for i, label in enumerate(labels):
            for parent in sorted(self.hierarchy.get(label, ())):
                out_labels.append(parent)
                for values, source in zip(out_lists, lists, strict=True):
                    values.append(source[i])
        return out_labels, out_lists

    def _evaluatable(self, labels: list[str], verified: dict[str, bool]) -> set[str]:
        """Classes whose detections count on this page: those with boxes and those verified
        present or absent; a class verified absent makes its descendants absent too."""
        allowed = set(labels) | set(verified)
        for label in verified:
            allowed.update(self.hierarchy.get(label, ()) if verified[label] else ())
        absent = {label for label, present in verified.items() if not present}
        allowed.update(c for c, above in self.hierarchy.items() if above & absent)
        return allowed

    def add(self, groundtruth: dict[str, Any], detections: dict[str, Any]) -> None:
        n = len(groundtruth["labels"])
        difficult = list(groundtruth.get("difficult") or [False] * n)
        group_of = list(groundtruth.get("group_of") or [False] * n)
        if self.open_images:
            difficult = [False] * n
        else:
            group_of = [False] * n
        labels, (boxes, difficult, group_of) = self._expanded(
            list(groundtruth["labels"]), list(groundtruth["boxes"]), difficult, group_of
        )
        truth = np.asarray(boxes, dtype=float).reshape(-1, 4)
        difficult_arr, group_arr = np.asarray(difficult, bool), np.asarray(group_of, bool)
        found = np.asarray(detections["boxes"], dtype=float).reshape(-1, 4)
        found_labels = np.asarray(detections["labels"], dtype=object)
        found_scores = np.asarray(detections["scores"], dtype=float)
        allowed = None
        if self.verified_only:
            allowed = self._evaluatable(labels, groundtruth.get("verified") or {})
        labels_arr = np.asarray(labels, dtype=object)
        for label in set(labels) | set(found_labels.tolist()):
            if allowed is not None and label not in allowed:
                continue
            tally = self.classes[label]
            mine = labels_arr == label
            tally.instances += int(mine.sum())
            tally.positives += float(
                np.sum(mine & ~difficult_arr & ~group_arr)
                + self.group_of_weight * np.sum(mine & group_arr)
            )
            chosen = found_labels == label
            scores, hits = match_page_class(
                found[chosen],
                found_scores[chosen],
                truth[mine],
                difficult_arr[mine],
                group_arr[mine],
                self.group_of_weight,
            )
            tally.scores.extend(scores.tolist())
            tally.hits.extend(hits.tolist())

    def per_class(self) -> dict[str, float]:
        return {
            label: average_precision(np.array(t.scores), np.array(t.hits), t.positives)
            for label, t in self.classes.items()
            if t.positives > 0
        }

    def result(self) -> dict[str, float]:
        per_class = self.per_class()
        if not per_class:
            return {}
        if self.weighted:
            tallies = [t for t in self.classes.values() if t.positives > 0]
            mean = average_precision(
                np.array([s for t in tallies for s in t.scores]),
                np.array([h for t in tallies for h in t.hits]),
                sum(t.positives for t in tallies),
            )
        else:
            mean = float(np.mean(list(per_class.values())))
        result = {self.key: mean}
        if self.per_category:
            category = f"{self.prefix}_PerformanceByCategory/AP@{IOU_THRESHOLD}IOU/"
            result.update({category + label: ap for label, ap in sorted(per_class.items())})
        return result

    def primary(self, result: dict[str, float]) -> float | None:
        return 1.0 - result[self.key] if self.key in result else None

    def tables(self) -> list[Any]:
        from rich.table import Table

        per_class = self.per_class()
        if not per_class:
            return []
        rarest = sorted(per_class, key=lambda label: (self.classes[label].instances, label))
        table = Table(title=f"{self.prefix} AP@{IOU_THRESHOLD} per class, rarest first")
        for column in ("class", "boxes", "detections", "AP"):
            table.add_column(column, justify="center" if column == "class" else "right")
        for label in rarest[:SHOWN_CLASSES]:
            tally = self.classes[label]
            table.add_row(
                label, str(tally.instances), str(len(tally.scores)), f"{per_class[label]:.3f}"
            )
        if len(rarest) > SHOWN_CLASSES:
            table.caption = (
                f"{len(rarest) - SHOWN_CLASSES} more classes; all of them in eval.json with "
                "eval_config.include_metrics_per_category: true"
            )
        return [table]
