"""One small abstract class per component kind; the registry keys kinds by these names."""

from imagine_core.contracts.cli import Command
from imagine_core.contracts.data import (
    IGNORE,
    Augmentation,
    Box,
    DatasetReader,
    DatasetWriter,
    Example,
)
from imagine_core.contracts.evaluation import Evaluator
from imagine_core.contracts.export import Exporter
from imagine_core.contracts.model import (
    AnchorGenerator,
    BoxCoder,
    BoxPredictor,
    FeatureExtractor,
    ImageResizer,
    Loss,
    Matcher,
    MetaArchitecture,
    SimilarityCalculator,
)
from imagine_core.contracts.ocr import (
    Detector,
    Glyph,
    Line,
    Page,
    PageReader,
    Region,
    TextAssembler,
    Word,
    Writer,
)
from imagine_core.contracts.training import LearningRate, Optimizer, Runner

CONTRACTS: dict[str, type] = {
    "dataset_reader": DatasetReader,
    "dataset_writer": DatasetWriter,
    "augmentation": Augmentation,
    "meta_architecture": MetaArchitecture,
    "feature_extractor": FeatureExtractor,
    "image_resizer": ImageResizer,
    "anchor_generator": AnchorGenerator,
    "box_coder": BoxCoder,
    "similarity_calculator": SimilarityCalculator,
    "matcher": Matcher,
    "box_predictor": BoxPredictor,
    "loss": Loss,
    "optimizer": Optimizer,
    "learning_rate": LearningRate,
    "runner": Runner,
    "evaluator": Evaluator,
    "exporter": Exporter,
    "page_reader": PageReader,
    "text_assembler": TextAssembler,
    "writer": Writer,
    "command": Command,
}

__all__ = [
    "CONTRACTS",
    "IGNORE",
    "AnchorGenerator",
    "Augmentation",
    "Box",
    "BoxCoder",
    "BoxPredictor",
    "Command",
    "DatasetReader",
    "DatasetWriter",
    "Detector",
    "Evaluator",
    "Example",
    "Exporter",
    "FeatureExtractor",
    "Glyph",
    "ImageResizer",
    "LearningRate",
    "Line",
    "Loss",
    "Matcher",
    "MetaArchitecture",
    "Optimizer",
    "Page",
    "PageReader",
    "Region",
    "Runner",
    "SimilarityCalculator",
    "TextAssembler",
    "Word",
    "Writer",
]
