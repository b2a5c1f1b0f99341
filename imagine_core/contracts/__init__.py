"""One small abstract class per component kind; the registry keys kinds by these names."""

from imagine_core.contracts.cli import Command
from imagine_core.contracts.data import (
    Augmentation,
    DatasetReader,
    DatasetWriter,
    ExampleChecker,
)
from imagine_core.contracts.evaluation import Evaluator
from imagine_core.contracts.export import Exporter, ModelLoader, TrainedModel
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
    PageReader,
    TextAssembler,
    Writer,
)
from imagine_core.contracts.training import InputPipeline, LearningRate, Optimizer, Runner

CONTRACTS: dict[str, type] = {
    "dataset_reader": DatasetReader,
    "dataset_writer": DatasetWriter,
    "example_checker": ExampleChecker,
    "augmentation": Augmentation,
    "input_pipeline": InputPipeline,
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
    "model_loader": ModelLoader,
    "trained_model": TrainedModel,
    "page_reader": PageReader,
    "text_assembler": TextAssembler,
    "writer": Writer,
    "command": Command,
}
