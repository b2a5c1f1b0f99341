"""The SavedModel exporter.

Layout (what ``imagine ocr --model`` and any TensorFlow program read): signature
``serving_default`` takes ``images`` (uint8, N x S x S x 3, S the tile size the model was
exported for) and returns ``detection_boxes`` (pixels: ymin, xmin, ymax, xmax),
``detection_scores``, ``detection_classes`` (label id - 1; -1 pads) and
``num_detections``; the variables ``input_size`` and ``stride`` say S and the stride;
``assets/`` holds ``label_map.pbtxt`` and the run's ``pipeline.config``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagine_core.contracts import Exporter
from imagine_plugins.export.staging import prepare, staged


class SavedModelExporter(Exporter):
    def __init__(self, settings: Any):
        self.settings = settings

    def export(self, pipeline: Any, checkpoint: Path, out_dir: Path) -> Path:
        import tensorflow as tf

        model, label_map, size = prepare(self.settings, checkpoint, pipeline)
        limit = self.settings.max_detections

        module = tf.Module()
        module.items = model.checkpoint_items()
        module.input_size = tf.Variable(size, trainable=False, name="input_size")
        module.stride = tf.Variable(model.stride(), trainable=False, name="stride")

        @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.uint8, "images")])
        def serve(images):
            found = model.detect(tf.cast(images, tf.float32))
            return {
                "detection_boxes": found["detection_boxes"][:, :limit],
                "detection_scores": found["detection_scores"][:, :limit],
                "detection_classes": found["detection_classes"][:, :limit],
                "num_detections": tf.minimum(found["num_detections"], limit),
            }

        with staged(out_dir, label_map, pipeline) as folder:
            tf.saved_model.save(module, str(folder), signatures={"serving_default": serve})
        return out_dir
