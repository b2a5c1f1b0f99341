"""The run folder ``imagine run`` writes — ``pipeline.config`` (resolved),
``label_map.pbtxt``, ``checkpoints/`` — read back as a model (registry kind
``model_loader``): evaluation, export and OCR all start here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from imagine_core.api import (
    Detector,
    ImagineError,
    LabelMap,
    ModelLoader,
    build,
    input_size,
    page_detections,
    read_pipeline,
)


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
    path = run_dir / "label_map.pbtxt"
    if not path.is_file():
        raise ImagineError(
            "the run folder has no label_map.pbtxt",
            where=str(run_dir),
            fix="rerun its `imagine run` command: it writes the label map when training starts",
        )
    return LabelMap.read(path)


def restore(run_dir: Path, checkpoint: Path | None = None) -> tuple[Any, Any, LabelMap]:
    """The run's pipeline, its model with the checkpoint's weights (default: the newest),
    and its label map."""
    import tensorflow as tf

    pipeline = read_pipeline(run_dir / "pipeline.config")
    checkpoint = checkpoint or latest_checkpoint(run_dir)
    label_map = run_label_map(run_dir)
    model = getattr(pipeline.model, pipeline.model.WhichOneof("model"))
    if not model.num_classes:  # a run folder written before num_classes was resolved
        model.num_classes = len(label_map)
    detector = build(pipeline.model, pipeline, label_map=label_map)
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
            self._compiled[size] = tf.function(
                self.model.detect, input_signature=[spec], autograph=False
            )
        found = self._compiled[size](tf.constant(images, tf.float32))
        return page_detections(found, self.names)


class RunFolderLoader(ModelLoader):
    def recognises(self, folder: Path) -> bool:
        return (folder / "pipeline.config").is_file()

    def config(self, folder: Path) -> tuple[Any, list[str]]:
        return read_pipeline(folder / "pipeline.config"), ["?", *run_label_map(folder).names]

    def load(self, folder: Path) -> tuple[Any, Detector]:
        pipeline, model, label_map = restore(folder)
        return pipeline, ModelDetector(model, label_map, input_size(pipeline))

    def latest_checkpoint(self, folder: Path) -> Path:
        return latest_checkpoint(folder)

    def restore(self, folder: Path, checkpoint: Path | None = None) -> tuple[Any, Any, Any]:
        return restore(folder, checkpoint)
