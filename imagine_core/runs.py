"""What a run folder holds, and the trained model restored from it.

A run folder (written by ``imagine run``) has ``pipeline.config`` (resolved),
``label_map.pbtxt`` and ``checkpoints/``; evaluation, export and OCR all start here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagine_core.contracts.ocr import Detector
from imagine_core.errors import ImagineError

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from imagine_core.labelmap import LabelMap


def load_run(run_dir: Path) -> Message:
    """The resolved pipeline a run folder holds (its ``pipeline.config``)."""
    from imagine_core.config.convert import read_text_file
    from imagine_core.schema import pipeline_class

    config = run_dir / "pipeline.config"
    if not config.is_file():
        raise ImagineError(
            "not a run folder (no pipeline.config)",
            where=str(run_dir),
            fix="pass the output folder of an `imagine run`",
        )
    return read_text_file(config, pipeline_class())


def latest_checkpoint(run_dir: Path) -> Path:
    """The newest checkpoint a run wrote (TensorFlow's ``checkpoints/checkpoint`` index)."""
    folder = run_dir / "checkpoints"
    index = folder / "checkpoint"
    if index.is_file():
        match = re.search(r'^model_checkpoint_path:\s*"([^"]+)"', index.read_text(), re.M)
        if match:
            return folder / match.group(1)
    raise ImagineError(
        "no checkpoint in this run folder",
        where=str(run_dir),
        fix="train first with `imagine run` (its output folder is printed at the start)",
    )


def run_label_map(run_dir: Path) -> LabelMap:
    from imagine_core.labelmap import LabelMap

    path = run_dir / "label_map.pbtxt"
    if not path.is_file():
        raise ImagineError(
            "the run folder has no label_map.pbtxt",
            where=str(run_dir),
            fix="rerun its `imagine run` command: it writes the label map when training starts",
        )
    return LabelMap.read(path)


def restore(run_dir: Path, checkpoint: Path | None = None) -> tuple[Message, Any, LabelMap]:
    """The run's pipeline, its model with the checkpoint's weights (default: the newest),
    and its label map."""
    import tensorflow as tf

    from imagine_core.pipeline import build

    pipeline = load_run(run_dir)
    checkpoint = checkpoint or latest_checkpoint(run_dir)
    label_map = run_label_map(run_dir)
    model = getattr(pipeline.model, pipeline.model.WhichOneof("model"))
    if not model.num_classes:
        model.num_classes = len(label_map)
    detector = build(pipeline.model, pipeline)
    tf.train.Checkpoint(**detector.checkpoint_items()).read(str(checkpoint)).expect_partial()
    return pipeline, detector, label_map


class ModelDetector(Detector):
    """A meta-architecture with restored weights, as a :class:`Detector`."""

    def __init__(self, model: Any, label_map: LabelMap, input_size: int = 0):

        self.model = model
        self.stride = model.stride()
        self.input_size = input_size
        self.names = ["?", *label_map.names]  # detection class c is label id c + 1
        self._compiled: dict[tuple[int, int], Any] = {}

    def detect(self, images: Any) -> list[dict[str, Any]]:
        import tensorflow as tf

        # One graph per image size, any batch size: the anchors need static sides.
        size = tuple(images.shape[1:3])
        if size not in self._compiled:
            spec = tf.TensorSpec([None, *size, 3], tf.float32)
            self._compiled[size] = tf.function(self.model.detect, input_signature=[spec])
        found = self._compiled[size](tf.constant(images, tf.float32))
        return page_detections(found, self.names)


UNKNOWN = "\ufffd"  # a class the label map has no name for (num_classes > labels)


def class_name(names: list[str], label_id: int) -> str:
    return names[label_id] if label_id < len(names) else UNKNOWN


def page_detections(found: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    """Model output (ymin, xmin, ymax, xmax; 0-based classes, -1 padding) as page glyphs."""
    pages = []
    for i, n in enumerate(found["num_detections"].numpy()):
        boxes = found["detection_boxes"][i][:n].numpy()
        classes = found["detection_classes"][i][:n].numpy()
        scores = found["detection_scores"][i][:n].numpy()
        keep = classes >= 0
        pages.append(
            {
                "boxes": [(b[1], b[0], b[3], b[2]) for b in boxes[keep].tolist()],
                "labels": [class_name(names, int(c) + 1) for c in classes[keep]],
                "scores": [float(s) for s in scores[keep]],
            }
        )
    return pages


def input_size(pipeline: Message) -> int:
    """The square input size of a fixed-shape resizer (the size the model trained at)."""
    model = getattr(pipeline.model, pipeline.model.WhichOneof("model"))
    resizer = model.image_resizer
    if resizer.WhichOneof("image_resizer_oneof") == "fixed_shape_resizer":
        return resizer.fixed_shape_resizer.height
    return 0


def _must_be_a_model_folder(path: Path) -> None:
    if not path.is_dir():
        raise ImagineError(
            "no such model",
            where=str(path),
            fix="pass a run folder of `imagine run` or a model from `imagine export`",
        )


def _loader_of(path: Path) -> Any:
    """The registered model loader whose layout ``path`` is in, or None (a run folder)."""
    from imagine_core.build import make
    from imagine_core.plugins import get_plugins

    registry = get_plugins().registry
    for name in registry.names("model_loader"):
        loader = make(registry.get("model_loader", name))
        if path.is_dir() and loader.recognises(path):
            return loader
    return None


def model_config(path: Path) -> tuple[Message, list[str]]:
    """The pipeline and class names (``["?", *label map]``, detection class c is label id
    c) of what ``load_detector`` would load, without loading it: a command checks its
    settings and names its outputs before any model (or worker) starts."""
    loader = _loader_of(path)
    if loader is not None:
        return loader.config(path)
    _must_be_a_model_folder(path)
    return load_run(path), ["?", *run_label_map(path).names]


def load_detector(path: Path) -> tuple[Message, Detector]:
    """A run folder (newest checkpoint), or a model an exporter wrote (SavedModel,
    TFLite …: read by the model loader registered for its layout), ready."""
    loader = _loader_of(path)
    if loader is not None:
        return loader.load(path)
    _must_be_a_model_folder(path)
    pipeline, model, label_map = restore(path)
    return pipeline, ModelDetector(model, label_map, input_size(pipeline))
