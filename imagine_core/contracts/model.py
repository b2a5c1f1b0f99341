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
    def predict(
        self, images: Any, true_image_shapes: Any, training: bool = False
    ) -> dict[str, Any]:
        """Run the network; return raw prediction tensors by name. ``training``: the
        training loop's call (batch norm in training mode, a two-stage detector sampling
        its regions against :meth:`provide_groundtruth`)."""

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
        return self.postprocess(self.predict(prepared, shapes, training=False), shapes)


class FeatureExtractor(ABC):
    """The backbone (and neck) turning images into feature maps, as ``tf_keras`` models.

    Both meta-architectures call :meth:`build` once with their anchor generator's levels
    and read the attributes below; nothing else of the extractor is used, so this is the
    whole interface a plugin implements.
    """

    #: Image sides are padded to a multiple of this; ``None``: ``2**max_level`` (an FPN
    #: adds maps of exact halves). SAME-padded stride-2 layers take any size: 1.
    size_multiple: int | None = None
    #: Faster R-CNN only: the layers every cropped region goes through before the box
    #: predictor (a Keras model, set by :meth:`build`), or None for none.
    box_classifier: Any = None
    #: Faster R-CNN only: hidden fully connected layers the box predictor adds, and width.
    fc_layers: int = 0
    fc_dims: int = 1024

    @abstractmethod
    def build(self, min_level: int, max_level: int) -> tuple[Any, Any]:
        """Return ``(backbone, decoder)``: ``backbone(images)`` gives ``{"3": map, …}``
        keyed by level (stride ``2**level``); ``decoder`` maps that to every level
        ``min_level..max_level`` (one depth for all: the RetinaNet head is shared), or is
        None where the backbone's maps already are those."""


class ImageResizer(ABC):
    @abstractmethod
    def __call__(self, image: Any) -> tuple[Any, Any]:
        """Return (resized image, its true shape before padding)."""


class AnchorGenerator(ABC):
    """Anchors per feature level; the meta-architectures size their heads by its
    levels and by how many anchors sit at one location."""

    min_level: int
    max_level: int
    aspect_ratios: list[float]

    @property
    @abstractmethod
    def per_location(self) -> Any:
        """Anchors at one location: an int, or ``{"3": n, …}`` per level."""

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
    """The heads that predict classes and boxes. Each meta-architecture builds them its
    own way: see :class:`SsdBoxPredictor` and :class:`RcnnBoxPredictor`."""

    @abstractmethod
    def build(self, *args: Any) -> Any:
        """Return the head (a ``tf_keras`` layer) for the meta-architecture."""


class SsdBoxPredictor(BoxPredictor):
    """A box predictor of the ``ssd`` meta-architecture (RetinaNet, classic SSD)."""

    @abstractmethod
    def build(
        self, min_level: int, max_level: int, num_classes: int, anchors_per_location: Any
    ) -> Any:
        """Return a layer taking ``{"3": map, …}`` to ``(class logits, box encodings)``,
        each ``{level: [batch, h, w, anchors * (num_classes | 4)]}`` (as Model Garden's
        RetinaNetHead); ``num_classes`` counts the background."""


class RcnnBoxPredictor(BoxPredictor):
    """The second-stage box predictor of the ``faster_rcnn`` meta-architecture."""

    #: One box code for all classes, rather than one per class.
    class_agnostic: bool = False

    @abstractmethod
    def build(self, num_classes: int, fc_layers: int, fc_dims: int) -> Any:
        """Return a layer taking cropped region features ``[batch, regions, h, w, c]`` to
        ``(class logits, box codes)`` (as Model Garden's DetectionHead), adding
        ``fc_layers`` hidden layers of ``fc_dims`` (the feature extractor's)."""

    @abstractmethod
    def dropout(self) -> Any:
        """The layer applied to region features before the head, or None when off."""


class Loss(ABC):
    @abstractmethod
    def __call__(self, predictions: Any, targets: Any, weights: Any) -> Any:
        """Return the per-anchor weighted loss."""
