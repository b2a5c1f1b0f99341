"""The plugin API: the one module a plugin imports from the core.

Everything a plugin — bundled or third-party — builds on is here: the hook marker, the
contract of every component kind, the registry and the builders that check what they
build against a contract, the label map, the consoles, the errors a user's mistake
raises, file reading with limits, and the run folders and exported models that the
training, export and OCR plugins share. Every other module of ``imagine_core`` is
private: ``lint-imports`` fails CI where a bundled plugin imports one (docs/plugins.md).

Importing this module is cheap and never imports TensorFlow.
"""

from __future__ import annotations

from imagine_core.build import BuildContext, build, chosen_component, instantiate, make, require_fit
from imagine_core.config.convert import to_text
from imagine_core.config.report import Problem
from imagine_core.console import err, out
from imagine_core.contracts import (  # every kind's contract
    CONTRACTS,
    AnchorGenerator,
    Augmentation,
    BoxCoder,
    BoxPredictor,
    Command,
    DatasetReader,
    DatasetWriter,
    Evaluator,
    ExampleChecker,
    Exporter,
    FeatureExtractor,
    ImageResizer,
    InputPipeline,
    LearningRate,
    Loss,
    Matcher,
    MetaArchitecture,
    ModelLoader,
    Optimizer,
    PageReader,
    Runner,
    SimilarityCalculator,
    TextAssembler,
    TrainedModel,
    Writer,
)
from imagine_core.contracts.data import IGNORE, Box, Example
from imagine_core.contracts.fit import missing_members, required_members
from imagine_core.contracts.model import RcnnBoxPredictor, SsdBoxPredictor
from imagine_core.contracts.ocr import Detector, Glyph, Line, Page, Region, Word, union
from imagine_core.datasets import format_of, reader_for, reader_formats, writer_for, writer_names
from imagine_core.errors import (
    EXIT_USER_ERROR,
    ComponentNotFoundError,
    ConfigError,
    DataError,
    ImagineError,
    PluginError,
    debug_enabled,
    did_you_mean,
    shown,
)
from imagine_core.files import (
    ANNOTATION_LIMIT,
    IMAGE_LIMIT,
    JSON_LIMIT,
    TEXT_LIMIT,
    cache_dir,
    decode_text,
    read_bytes,
    read_text,
    regular_size,
)
from imagine_core.hookspecs import ShortKey, hookimpl
from imagine_core.labelmap import LabelMap, normalise
from imagine_core.pipeline import pipeline_from, publish_folder, write_atomic
from imagine_core.plugins import get_plugins
from imagine_core.proto_loader import load_proto
from imagine_core.runs import (
    class_name,
    input_size,
    latest_checkpoint,
    load_detector,
    model_config,
    model_folder,
    page_detections,
    read_pipeline,
    restore,
    shipped_folder,
    shipped_models,
)
from imagine_core.schema import proto_module

__all__ = [
    "ANNOTATION_LIMIT",
    "CONTRACTS",
    "EXIT_USER_ERROR",
    "IGNORE",
    "IMAGE_LIMIT",
    "JSON_LIMIT",
    "TEXT_LIMIT",
    "AnchorGenerator",
    "Augmentation",
    "Box",
    "BoxCoder",
    "BoxPredictor",
    "BuildContext",
    "Command",
    "ComponentNotFoundError",
    "ConfigError",
    "DataError",
    "DatasetReader",
    "DatasetWriter",
    "Detector",
    "Evaluator",
    "Example",
    "ExampleChecker",
    "Exporter",
    "FeatureExtractor",
    "Glyph",
    "ImageResizer",
    "ImagineError",
    "InputPipeline",
    "LabelMap",
    "LearningRate",
    "Line",
    "Loss",
    "Matcher",
    "MetaArchitecture",
    "ModelLoader",
    "Optimizer",
    "Page",
    "PageReader",
    "PluginError",
    "Problem",
    "RcnnBoxPredictor",
    "Region",
    "Runner",
    "ShortKey",
    "SimilarityCalculator",
    "SsdBoxPredictor",
    "TextAssembler",
    "TrainedModel",
    "Word",
    "Writer",
    "build",
    "cache_dir",
    "chosen_component",
    "class_name",
    "debug_enabled",
    "decode_text",
    "did_you_mean",
    "err",
    "format_of",
    "get_plugins",
    "hookimpl",
    "input_size",
    "instantiate",
    "latest_checkpoint",
    "load_detector",
    "load_proto",
    "make",
    "missing_members",
    "model_config",
    "model_folder",
    "normalise",
    "out",
    "page_detections",
    "pipeline_from",
    "proto_module",
    "publish_folder",
    "read_bytes",
    "read_pipeline",
    "read_text",
    "reader_for",
    "reader_formats",
    "regular_size",
    "require_fit",
    "required_members",
    "restore",
    "shipped_folder",
    "shipped_models",
    "shown",
    "to_text",
    "union",
    "write_atomic",
    "writer_for",
    "writer_names",
]
