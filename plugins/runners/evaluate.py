"""Evaluation at the end of a run: detect on every eval page, feed the evaluators."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from imagine_core.console import err, out
from imagine_core.labelmap import LabelMap
from imagine_core.pipeline import build, instantiate
from imagine_core.plugins import get_plugins


def _pad(image: np.ndarray, stride: int) -> np.ndarray:
    h, w = image.shape[:2]
    ph, pw = -h % stride, -w % stride
    return np.pad(image, ((0, ph), (0, pw), (0, 0)), constant_values=255) if ph or pw else image


def page_detections(detector: Any, image: np.ndarray, label_map: LabelMap) -> dict[str, Any]:
    """Detections on one whole page (padded to the model's stride), in page pixels."""
    import tensorflow as tf

    padded = _pad(image, detector.stride()).astype(np.float32)
    found = detector.detect(tf.constant(padded[None]))
    count = int(found["num_detections"][0])
    boxes = found["detection_boxes"][0][:count].numpy()  # ymin, xmin, ymax, xmax
    classes = found["detection_classes"][0][:count].numpy()
    keep = classes >= 0
    return {
        "boxes": [[b[1], b[0], b[3], b[2]] for b in boxes[keep]],
        "labels": [label_map.name_of(int(c) + 1) for c in classes[keep]],
        "scores": found["detection_scores"][0][:count].numpy()[keep].tolist(),
    }


def evaluate(pipeline: Any, detector: Any, label_map: LabelMap, run_dir: Path) -> dict[str, float]:
    from PIL import Image
    from rich.progress import track

    from imagine_plugins.datatools.checks import Checker

    registry = get_plugins().registry
    evaluators = {
        name: instantiate(
            registry.get("evaluator", name, where="eval_config.metrics_set"), None, pipeline
        )
        for name in pipeline.eval_config.metrics_set
    }
    metrics: dict[str, float] = {}
    for reader_config in pipeline.eval_input_reader:
        reader = build(reader_config, pipeline)
        examples = Checker("strict").run(reader).examples
        limit = pipeline.eval_config.num_examples or len(examples)
        for example in track(
            examples[:limit], description="evaluating", console=err, transient=True
        ):
            with Image.open(io.BytesIO(example.image_bytes())) as img:
                page = np.asarray(img.convert("RGB"))
            truth = {
                "boxes": [[b.xmin, b.ymin, b.xmax, b.ymax] for b in example.boxes],
                "labels": [b.label for b in example.boxes],
                "width": example.width,
                "height": example.height,
            }
            found = page_detections(detector, page, label_map)
            for evaluator in evaluators.values():
                evaluator.add(truth, found)
    for evaluator in evaluators.values():
        metrics.update(evaluator.result())
    if "CER" in metrics:
        metrics["primary"] = metrics["CER"]
    elif "mAP" in metrics:
        metrics["primary"] = metrics["mAP"]
    table = Table(title="evaluation")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, f"{value:.4f}")
    out.print(table)
    (run_dir / "eval.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return metrics
