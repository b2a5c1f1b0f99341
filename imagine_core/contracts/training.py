"""Contracts of training: where it runs, what it reads, how parameters are updated."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class Runner(ABC):
    """Runs a pipeline on some hardware (a ``tf.distribute`` strategy)."""

    #: False on a worker of a cluster that is not its chief: it trains in step with the
    #: others but writes nothing into the run folder (the chief writes pipeline.config,
    #: checkpoints, events and metrics.json), so workers sharing a folder never collide.
    chief: bool = True

    def start(self) -> None:
        """Set up what must come before any TensorFlow op of this process (a multi-worker
        strategy configures its collectives at start-up): called once, before the
        pipeline is resolved (``imagine_resolve_pipeline`` reads the training data).
        Most runners need nothing here."""
        return None

    @abstractmethod
    def run(self, pipeline: Any, run_dir: Path) -> dict[str, float]:
        """Train and evaluate; write into ``run_dir``; return the final metrics.

        The metric under the key ``primary`` is what ``imagine run`` returns to Hydra,
        so sweepers can optimise it; lower is always better (an error rate, or 1 - a
        score), so every sweeper minimises it."""


class Optimizer(ABC):
    @abstractmethod
    def __call__(self, learning_rate: Any) -> Any:
        """Return an optimizer object for the given learning-rate schedule."""


class LearningRate(ABC):
    @abstractmethod
    def __call__(self, step: Any) -> Any:
        """Return the learning rate at ``step`` (logged as a summary)."""

    @abstractmethod
    def keras(self) -> Any:
        """The same schedule as a ``tf_keras`` LearningRateSchedule: the optimizer's."""


class InputPipeline(ABC):
    """What runners train and evaluate on: an input reader's examples, checked, turned
    into batches (the TF OD API's input pipeline; the tfrecord plugin's caches TFRecords
    and reads them with tf.data)."""

    @abstractmethod
    def records(self, reader_config: Any) -> tuple[list[Path], Any]:
        """The record files of one input reader (converted once and cached) and its
        label map (None when neither the reader nor ``label_map_path`` gives one)."""

    @abstractmethod
    def dataset(
        self,
        pipeline: Any,
        *,
        training: bool,
        batch_size: int | None = None,
        eval_index: int = 0,
        label_fn: Any = None,
    ) -> tuple[Any, Any]:
        """``(tf.data.Dataset, LabelMap)``: batches of dicts with ``image``,
        ``groundtruth_boxes``, ``groundtruth_classes``, ``num_groundtruth_boxes`` and
        ``true_image_shape``; ``label_fn(example)`` adds a model's own targets."""
