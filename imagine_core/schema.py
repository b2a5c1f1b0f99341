"""Access to the generated pipeline schema, with a clear error when it is missing."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from imagine_core.errors import ImagineError

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor

PROTO_MODULES = (
    "options",
    "component",
    "hyperparams",
    "image_resizer",
    "anchor_generator",
    "box_coder",
    "matcher",
    "box_predictor",
    "losses",
    "post_processing",
    "ssd",
    "faster_rcnn",
    "model",
    "optimizer",
    "preprocessor",
    "train",
    "eval",
    "input_reader",
    "string_int_label_map",
    "hardware",
    "export",
    "ocr",
    "pipeline",
)


def proto_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"imagine_core.protos.{name}_pb2")
    except ImportError as exc:
        raise ImagineError(
            f"the generated protobuf code is missing or stale ({exc})",
            where="imagine_core/protos",
            fix="reinstall the package (pip install -e . in a source checkout): "
            "the build generates it from protos/",
        ) from exc


def load_all() -> dict[str, ModuleType]:
    return {name: proto_module(name) for name in PROTO_MODULES}


def pipeline_class() -> type:
    return proto_module("pipeline").TrainEvalPipelineConfig


def label_map_class() -> type:
    return proto_module("string_int_label_map").StringIntLabelMap


def component_kind(descriptor: Descriptor) -> str:
    """The registry kind a message chooses (its ``component_kind`` option), or ''."""
    return descriptor.GetOptions().Extensions[proto_module("options").component_kind]
