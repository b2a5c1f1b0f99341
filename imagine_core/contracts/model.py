"""Contracts of the detector's parts, after the TF Object Detection API's.

Boxes are ``[ymin, xmin, ymax, xmax]`` normalised to [0, 1]; classes count from
0 and background is handled inside the model. Tensor types are left as ``Any``
so that this module never imports TensorFlow.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class MetaArchitecture(ABC):
    """A whole detector (Faster R-CNN, SSD): the DetectionModel contract."""

    @abstractmethod
    def preprocess(self, images: Any) -> tuple[Any, Any]:
        """Resize and normalise a batch; return (images, true image shapes)."""

    def provide_groundtruth(self, groundtruth: dict[str, Any]) -> None:
        """Hand over the batch's ground truth before a training ``predict`` (a two-stage
        detector samples its regions against it); one-stage detectors ignore it."""
        return None

    @abstractmethod
    def predict(self, images: Any, true_image_shapes: Any) -> dict[str, Any]:
        """Run the network; return raw prediction tensors by name."""

    @abstractmethod
    def loss(self, predictions: dict[str, Any], groundtruth: dict[str, Any]) -> dict[str, Any]:
        """Return the loss tensors by name (e.g. 'classification', 'localization')."""

    @abstractmethod
    def postprocess(self, predictions: dict[str, Any], true_image_shapes: Any) -> dict[str, Any]:
        """Return detection_boxes, detection_scores, detection_classes, num_detections."""

    # What the training loop needs besides the DetectionModel contract.
    @property
    @abstractmethod
    def trainable_variables(self) -> list[Any]:
        """The variables the optimizer updates."""

    @abstractmethod
    def checkpoint_items(self) -> dict[str, Any]:
        """The trackable objects a checkpoint saves, by name (e.g. {'model': keras_model})."""

    def regularization_losses(self) -> list[Any]:
        """Weight regularization terms added to the loss."""
        return []

    def stride(self) -> int:
        """Whole images given to :meth:`detect` are padded to a multiple of this."""
        return 1

    def detect(self, images: Any) -> dict[str, Any]:
        """Detections on a batch of whole images (pixel boxes, 0-based classes)."""
        prepared, shapes = self.preprocess(images)
        return self.postprocess(self.predict(prepared, shapes), shapes)


class FeatureExtractor(ABC):
    """The backbone (and neck) turning images into feature maps."""

    @abstractmethod
    def __call__(self, images: Any, training: bool = False) -> dict[str, Any]:
        """Return feature maps keyed by level ('3', '4', …) or name."""


class ImageResizer(ABC):
    @abstractmethod
    def __call__(self, image: Any) -> tuple[Any, Any]:
        """Return (resized image, its true shape before padding)."""


class AnchorGenerator(ABC):
    @abstractmethod
    def __call__(self, image_size: tuple[int, int]) -> Any:
        """Return anchors for an input of this size, ``[N, 4]`` or by level."""


class BoxCoder(ABC):
    @abstractmethod
    def encode(self, boxes: Any, anchors: Any) -> Any:
        """Encode boxes relative to anchors."""

    @abstractmethod
    def decode(self, codes: Any, anchors: Any) -> Any:
        """Invert :meth:`encode`."""


class SimilarityCalculator(ABC):
    @abstractmethod
    def __call__(self, boxes1: Any, boxes2: Any) -> Any:
        """Return the ``[N, M]`` similarity (e.g. IoU) matrix."""


class Matcher(ABC):
    @abstractmethod
    def __call__(self, similarity: Any) -> Any:
        """Return, per anchor (column), the matched row, or -1 unmatched, -2 ignored."""


class BoxPredictor(ABC):
    @abstractmethod
    def __call__(self, features: dict[str, Any], training: bool = False) -> dict[str, Any]:
        """Return 'box_encodings' and 'class_predictions' for the feature maps."""


class Loss(ABC):
    @abstractmethod
    def __call__(self, predictions: Any, targets: Any, weights: Any) -> Any:
        """Return the per-anchor weighted loss."""
