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
        return _unbatch(found, self.names)


UNKNOWN = "\ufffd"  # a class the label map has no name for (num_classes > labels)


def _name(names: list[str], label_id: int) -> str:
    return names[label_id] if label_id < len(names) else UNKNOWN


def _unbatch(found: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
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
                "labels": [_name(names, int(c) + 1) for c in classes[keep]],
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


def _exported_assets(folder: Path) -> tuple[Message, list[str]]:
    """An exported model's pipeline.config and class names (``assets/``, both exporters)."""
    from imagine_core.config.convert import read_text_file
    from imagine_core.labelmap import LabelMap
    from imagine_core.schema import pipeline_class

    pipeline = read_text_file(folder / "assets" / "pipeline.config", pipeline_class())
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
        self.pipeline, self.names = _exported_assets(folder)
        self.stride = int(loaded.stride.numpy())
        self.input_size = int(loaded.input_size.numpy())
        self.fixed_input = True

    def detect(self, images: Any) -> list[dict[str, Any]]:
        import tensorflow as tf

        found = self._detect(images=tf.constant(images, tf.uint8))
        return _unbatch(found, self.names)


class TfliteDetector(Detector):
    """A ``model.tflite`` written by the ``tflite`` exporter: one tile of exactly
    ``input_size`` per call, through LiteRT's interpreter (``ai-edge-litert``)."""

    def __init__(self, folder: Path):
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(folder / "model.tflite"))
        self._run = interpreter.get_signature_runner()
        self._interpreter = interpreter  # the runner needs it alive
        self.pipeline, self.names = _exported_assets(folder)
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
                        _name(self.names, int(c) + 1) for c in found["detection_classes"][0, :count]
                    ],
                    "scores": found["detection_scores"][0, :count].tolist(),
                }
            )
        return pages


def _must_be_a_model_folder(path: Path) -> None:
    if not path.is_dir():
        raise ImagineError(
            "no such model",
            where=str(path),
            fix="pass a run folder of `imagine run` or a model from `imagine export`",
        )


def model_config(path: Path) -> tuple[Message, list[str]]:
    """The pipeline and class names (``["?", *label map]``, detection class c is label id
    c) of what ``load_detector`` would load, without loading it: a command checks its
    settings and names its outputs before any model (or worker) starts."""
    if (path / "saved_model.pb").is_file() or (path / "model.tflite").is_file():
        return _exported_assets(path)
    _must_be_a_model_folder(path)
    return load_run(path), ["?", *run_label_map(path).names]


def load_detector(path: Path) -> tuple[Message, Detector]:
    """A run folder (newest checkpoint), an exported SavedModel or TFLite model, ready."""
    if (path / "saved_model.pb").is_file():
        detector = SavedModelDetector(path)
        return detector.pipeline, detector
    if (path / "model.tflite").is_file():
        detector = TfliteDetector(path)
        return detector.pipeline, detector
    _must_be_a_model_folder(path)
    pipeline, model, label_map = restore(path)
    return pipeline, ModelDetector(model, label_map, input_size(pipeline))
