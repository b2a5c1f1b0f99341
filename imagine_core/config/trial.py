"""``imagine config validate --build``: the model built and run once on a blank image.

Validation checks the pipeline's numbers and each part against its contract without
TensorFlow; what a part *returns* (a plugin's feature extractor giving maps under int keys
or at the wrong stride, a head of the wrong shape) shows only when the model is built and
run. This does that on one small blank page, before any data is read or any step taken.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message

from imagine_core.build import build
from imagine_core.errors import ConfigError, ImagineError
from imagine_core.labelmap import LabelMap

SIDE = 64  # the blank page's side in pixels: the resizer makes it what the model takes


def run_once(pipeline: Message) -> dict[str, Any]:
    """The detections of the model ``pipeline`` describes on a blank page; a part that
    fails to build or run raises one ConfigError naming the model's parts."""
    import numpy as np

    trial = type(pipeline)()
    trial.CopyFrom(pipeline)
    arch = trial.model.WhichOneof("model")
    model = getattr(trial.model, arch)
    model.num_classes = max(model.num_classes, 1)  # a run fills it in from its label map
    names = [f"class {i}" for i in range(model.num_classes)]
    try:
        detector = build(trial.model, trial, label_map=LabelMap.from_names(names))
        images, shapes = detector.preprocess(np.zeros((1, SIDE, SIDE, 3), np.float32))
        return detector.postprocess(detector.predict(images, shapes), shapes)
    except ImagineError:
        raise
    except Exception as exc:  # a part's own code failed: name the parts it could be
        raise ConfigError(
            f"the model does not run on a blank {SIDE}x{SIDE} page: {type(exc).__name__}: {exc}",
            where=f"model.{arch} ({_parts(model)})",
            fix="the part named in the error does not return what the contract declares "
            "(docs/plugins.md, 'Contracts'); choose another or fix its plugin",
        ) from exc


def _parts(model: Message) -> str:
    """The model's chosen parts as ``field=type``, for the message."""
    parts = []
    for field, value in model.ListFields():
        if field.message_type is not None and hasattr(value, "type") and value.type:
            parts.append(f"{field.name}={value.type}")
    return ", ".join(parts) or "its defaults"
