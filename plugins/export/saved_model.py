"""The SavedModel exporter.

Layout (what ``imagine ocr --model`` and any TensorFlow program read): signature
``serving_default`` takes ``images`` (uint8, N x S x S x 3, S the tile size the model was
exported for) and returns ``detection_boxes`` (pixels: ymin, xmin, ymax, xmax),
``detection_scores``, ``detection_classes`` (label id - 1; -1 pads) and
``num_detections``; the variables ``input_size`` and ``stride`` say S and the stride;
``assets/`` holds ``label_map.pbtxt`` and the run's ``pipeline.config``.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path
from typing import Any

from imagine_core.config.convert import to_text
from imagine_core.contracts import Exporter
from imagine_core.errors import ImagineError
from imagine_core.pipeline import publish_folder


class SavedModelExporter(Exporter):
    def __init__(self, settings: Any):
        self.settings = settings

    def export(self, pipeline: Any, checkpoint: Path, out_dir: Path) -> Path:
        import tensorflow as tf

        from imagine_core.runs import input_size, restore

        if self.settings.input_type != "image_tensor":
            raise ImagineError(
                f"input_type {self.settings.input_type!r} is not supported by this exporter",
                where="export.input_type",
                fix="use image_tensor (uint8 image batches)",
            )
        _, model, label_map = restore(checkpoint.parent.parent, checkpoint)
        stride = model.stride()
        size = pipeline.ocr.tile_size or input_size(pipeline) or 512
        size = math.ceil(size / stride) * stride
        limit = self.settings.max_detections

        module = tf.Module()
        module.items = model.checkpoint_items()
        module.input_size = tf.Variable(size, trainable=False, name="input_size")
        module.stride = tf.Variable(stride, trainable=False, name="stride")

        @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.uint8, "images")])
        def serve(images):
            found = model.detect(tf.cast(images, tf.float32))
            return {
                "detection_boxes": found["detection_boxes"][:, :limit],
                "detection_scores": found["detection_scores"][:, :limit],
                "detection_classes": found["detection_classes"][:, :limit],
                "num_detections": tf.minimum(found["num_detections"], limit),
            }

        tmp = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tf.saved_model.save(module, str(tmp), signatures={"serving_default": serve})
        (tmp / "assets").mkdir(exist_ok=True)
        label_map.write(tmp / "assets" / "label_map.pbtxt")
        (tmp / "assets" / "pipeline.config").write_text(to_text(pipeline), encoding="utf-8")
        publish_folder(tmp, out_dir, replace=True)
        return out_dir
