"""Evaluation at the end of a run: read every eval page as `imagine ocr` does (the
pipeline's page reader, tiles and all), feed the evaluators, print and save the metrics,
and show sample pages with their boxes in TensorBoard."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from imagine_core.api import LabelMap, build, err, get_plugins, instantiate, out


def page_reader(pipeline: Any) -> Any:
    """The pipeline's page reader, keeping every detection: evaluators apply their own
    score floors (COCO sees all, the CER reads those ``imagine ocr`` would)."""
    settings = type(pipeline.ocr)()
    settings.CopyFrom(pipeline.ocr)
    settings.min_score = 0.0
    registry = get_plugins().registry
    record = registry.get("page_reader", settings.page_reader, where="ocr.page_reader")
    return instantiate(record, settings, pipeline)


class SamplePages:
    """The first ``eval_config.num_visualizations`` eval pages with the boxes of the glyphs
    read from them, as TensorBoard images (``RUN_DIR/eval``), beside the metrics."""

    def __init__(self, pipeline: Any, run_dir: Path):
        import tensorflow as tf

        self.limit = pipeline.eval_config.num_visualizations
        self.min_score = pipeline.ocr.min_score
        self.step = pipeline.train_config.num_steps
        self.writer = tf.summary.create_file_writer(str(run_dir / "eval"))
        self.shown = 0

    def add(self, name: str, page: np.ndarray, glyphs: list[Any]) -> None:
        import tensorflow as tf

        if self.shown >= self.limit:
            return
        self.shown += 1
        h, w = page.shape[:2]
        boxes = [
            [g.box[1] / h, g.box[0] / w, g.box[3] / h, g.box[2] / w]
            for g in glyphs
            if g.score >= self.min_score
        ]
        image = tf.image.convert_image_dtype(tf.constant(page[None]), tf.float32)
        if boxes:
            image = tf.image.draw_bounding_boxes(
                image, tf.constant([boxes], tf.float32), tf.constant([[0.0, 0.35, 1.0, 1.0]])
            )
        with self.writer.as_default():
            tf.summary.image(f"pages/{name}", image, step=self.step)

    def metrics(self, metrics: dict[str, float]) -> None:
        import tensorflow as tf

        with self.writer.as_default():
            for key, value in metrics.items():
                tf.summary.scalar(f"metrics/{key}", value, step=self.step)
        self.writer.flush()


def truth_of(example: Any) -> dict[str, Any]:
    """What an evaluator knows of a page: its glyph boxes with their flags (ignore regions
    left out), size, true text and verified image-level labels."""
    boxes = [b for b in example.boxes if not b.ignore]
    return {
        "name": Path(example.name).stem,
        "boxes": [[b.xmin, b.ymin, b.xmax, b.ymax] for b in boxes],
        "labels": [b.label for b in boxes],
        "difficult": [b.difficult for b in boxes],
        "group_of": [b.group_of for b in boxes],
        "verified": example.verified,
        "width": example.width,
        "height": example.height,
        "text": example.text,
    }


def outside_ignored(found: dict[str, list], example: Any) -> dict[str, list]:
    """Detections minus those lying mostly (half their area) in an ignore region: what
    nobody marked is neither right nor wrong, in evaluation as in training."""
    from pycocotools import mask

    regions = [
        [b.xmin, b.ymin, b.xmax - b.xmin, b.ymax - b.ymin] for b in example.boxes if b.ignore
    ]
    if not regions or not found["boxes"]:
        return found
    boxes = [[x0, y0, x1 - x0, y1 - y0] for x0, y0, x1, y1 in found["boxes"]]
    # COCO's "crowd" overlap is the intersection over the detection's own area.
    inside = np.asarray(mask.iou(boxes, regions, [1] * len(regions))).max(axis=1)
    keep = inside < 0.5
    return {
        key: [v for v, k in zip(values, keep, strict=True) if k] for key, values in found.items()
    }


def summarise(evaluators: Any) -> dict[str, float]:
    """Every evaluator's metrics, their tables printed, and ``primary``: one figure, lower
    is better, for every sweeper — the CER where there is one, else the first 1 - mAP."""
    metrics: dict[str, float] = {}
    primaries = []
    for evaluator in evaluators:
        result = evaluator.result()
        metrics.update(result)
        value = evaluator.primary(result)
        if value is not None:
            primaries.append((0 if "CER" in result else 1, value))
        for table in evaluator.tables():
            out.print(table)
    if primaries:
        metrics["primary"] = min(primaries, key=lambda rank_value: rank_value[0])[1]
    return metrics


def evaluate(pipeline: Any, model: Any, label_map: LabelMap, run_dir: Path) -> dict[str, float]:
    from PIL import Image
    from rich.progress import track

    from imagine_core.api import input_size, make
    from imagine_plugins.runners.run_folder import ModelDetector

    registry = get_plugins().registry
    checker = make(registry.get("example_checker", "strict", where="eval_input_reader"))
    evaluators = {
        name: instantiate(
            registry.get("evaluator", name, where="eval_config.metrics_set"), None, pipeline
        )
        for name in pipeline.eval_config.metrics_set
    }
    detector = ModelDetector(model, label_map, input_size(pipeline))
    reader = page_reader(pipeline)
    samples = SamplePages(pipeline, run_dir)
    for reader_config in pipeline.eval_input_reader:
        examples = checker.run(build(reader_config, pipeline)).examples
        limit = pipeline.eval_config.num_examples or len(examples)
        for example in track(
            examples[:limit], description="evaluating", console=err, transient=True
        ):
            with Image.open(io.BytesIO(example.image_bytes())) as img:
                page = np.asarray(img.convert("RGB"))
            truth = truth_of(example)
            (glyphs,) = reader.read(detector, [page])
            samples.add(truth["name"], page, glyphs)
            found = outside_ignored(
                {
                    "boxes": [g.box for g in glyphs],
                    "labels": [g.char for g in glyphs],
                    "scores": [g.score for g in glyphs],
                },
                example,
            )
            for evaluator in evaluators.values():
                evaluator.add(truth, found)
    metrics = summarise(evaluators.values())
    samples.metrics(metrics)
    report(metrics, run_dir / "eval.json")
    return metrics


def report(metrics: dict[str, float], path: Path) -> None:
    """The metrics as a table, and as JSON at ``path``."""
    table = Table(title="evaluation")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, f"{value:.4f}")
    out.print(table)
    path.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
