"""Reading back what the exporters wrote: a SavedModel or a ``model.tflite`` with its
``assets/`` (pipeline.config, label_map.pbtxt), as detectors for ``imagine ocr``,
``imagine infer`` and the Python API (registry kind ``model_loader``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagine_core.api import (
    Detector,
    LabelMap,
    ModelLoader,
    class_name,
    page_detections,
    read_pipeline,
)


def exported_assets(folder: Path) -> tuple[Any, list[str]]:
    """An exported model's pipeline.config and class names (``assets/``, both exporters)."""
    pipeline = read_pipeline(folder / "assets" / "pipeline.config")
    return pipeline, ["?", *LabelMap.read(folder / "assets" / "label_map.pbtxt").names]


class SavedModelDetector(Detector):
    """A SavedModel written by the ``saved_model`` exporter (its module describes the
    layout); it takes tiles of exactly ``input_size``."""

    def __init__(self, folder: Path):
        import tensorflow as tf

        loaded = tf.saved_model.load(str(folder))
        self._loaded = loaded  # keeps the signature's variables alive
        # `tiles` (tiles in, pixel boxes out); exports before it had only serving_default.
        signatures = loaded.signatures
        self._detect = signatures["tiles" if "tiles" in signatures else "serving_default"]
        self.pipeline, self.names = exported_assets(folder)
        self.stride = int(loaded.stride.numpy())
        self.input_size = int(loaded.input_size.numpy())
        self.fixed_input = True

    def detect(self, images: Any) -> list[dict[str, Any]]:
        import tensorflow as tf

        found = self._detect(images=tf.constant(images, tf.uint8))
        return page_detections(found, self.names)


class TfliteDetector(Detector):
    """A ``model.tflite`` written by the ``tflite`` exporter: one tile of exactly
    ``input_size`` per call, through LiteRT's interpreter (``ai-edge-litert``)."""

    def __init__(self, folder: Path):
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(folder / "model.tflite"))
        self._run = interpreter.get_signature_runner()
        self._interpreter = interpreter  # the runner needs it alive
        self.pipeline, self.names = exported_assets(folder)
        self.input_size = int(interpreter.get_input_details()[0]["shape"][1])
        self.stride = 1
        self.fixed_input = True

    def detect(self, images: Any) -> list[dict[str, Any]]:
        import numpy as np

        pages = []
        size = float(self.input_size)
        for image in images:
            found = self._run(images=np.asarray(image, np.uint8)[None])
            count = int(found["num_detections"][0])
            pages.append(
                {
                    "boxes": (found["detection_boxes"][0, :count][:, [1, 0, 3, 2]] * size).tolist(),
                    "labels": [
                        class_name(self.names, int(c) + 1)
                        for c in found["detection_classes"][0, :count]
                    ],
                    "scores": found["detection_scores"][0, :count].tolist(),
                }
            )
        return pages


class SavedModelLoader(ModelLoader):
    def recognises(self, folder: Path) -> bool:
        return (folder / "saved_model.pb").is_file()

    def config(self, folder: Path) -> tuple[Any, list[str]]:
        return exported_assets(folder)

    def load(self, folder: Path) -> tuple[Any, Detector]:
        detector = SavedModelDetector(folder)
        return detector.pipeline, detector


class TfliteLoader(ModelLoader):
    def recognises(self, folder: Path) -> bool:
        return (folder / "model.tflite").is_file()

    def config(self, folder: Path) -> tuple[Any, list[str]]:
        return exported_assets(folder)

    def load(self, folder: Path) -> tuple[Any, Detector]:
        detector = TfliteDetector(folder)
        return detector.pipeline, detector
