"""``hardware=tpu`` makes the chosen model fit a TPU, so no model needs overrides for it.

What the TF OD API's TPU guide asks of each meta-architecture is set here, before the
rules (``rules.py``) are checked; each change is printed as ``applied …`` and lands in
the run's pipeline.config. A third-party meta-architecture fits itself the same way,
with its own ``imagine_fit_pipeline`` hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imagine_core.api import hookimpl

FASTER_RCNN_STATIC = (
    "use_static_shapes",
    "use_matmul_crop_and_resize",
    "use_matmul_gather_in_matcher",
    "use_static_balanced_label_sampler",
)
WHY = "hardware=tpu: static shapes"


class Changes(list):
    """The ``path=value (why)`` lines of what fitting changed; what the user set
    (``given``) is left for the rules to explain."""

    def __init__(self, given: Callable[[str], bool]) -> None:
        super().__init__()
        self.given = given

    def set(self, message: Any, field: str, value: Any, path: str, why: str = WHY) -> None:
        if getattr(message, field) != value and not self.given(path):
            setattr(message, field, value)
            self.append(f"{path}={str(value).lower()} ({why})")


def _faster_rcnn(fr: Any, changes: Changes) -> None:
    for flag in FASTER_RCNN_STATIC:
        changes.set(fr, flag, True, f"model.faster_rcnn.{flag}")
    if fr.image_resizer.WhichOneof("image_resizer_oneof") == "keep_aspect_ratio_resizer":
        path = "model.faster_rcnn.image_resizer.keep_aspect_ratio_resizer.pad_to_max_dimension"
        changes.set(fr.image_resizer.keep_aspect_ratio_resizer, "pad_to_max_dimension", True, path)


def _ssd(ssd: Any, changes: Changes) -> None:
    chosen = ssd.matcher.WhichOneof("matcher_oneof")
    if chosen in ("argmax_matcher", "bipartite_matcher"):
        matcher = getattr(ssd.matcher, chosen)
        changes.set(
            matcher, "use_matmul_gather", True, f"model.ssd.matcher.{chosen}.use_matmul_gather"
        )
    if ssd.loss.HasField("hard_example_miner") and not changes.given("model.ssd.loss"):
        # Mining runs an NMS with dynamic shapes; the TPU configs of the TF OD API train
        # SSDs with focal loss instead.
        ssd.loss.ClearField("hard_example_miner")
        focal = ssd.loss.classification_loss.weighted_sigmoid_focal
        focal.gamma, focal.alpha = 2.0, 0.25
        changes.append(
            "model.ssd.loss: hard_example_miner removed, classification_loss="
            "weighted_sigmoid_focal {gamma: 2, alpha: 0.25} (hardware=tpu: mining's NMS has "
            "dynamic shapes)"
        )


@hookimpl
def imagine_fit_pipeline(pipeline: Any, given: Callable[[str], bool]) -> list[str]:
    if pipeline.hardware.type != "tpu":
        return []
    changes = Changes(given)
    changes.set(
        pipeline.train_config,
        "unpad_groundtruth_tensors",
        False,
        "train_config.unpad_groundtruth_tensors",
    )
    name = pipeline.model.WhichOneof("model")
    if name == "faster_rcnn":
        _faster_rcnn(pipeline.model.faster_rcnn, changes)
    elif name == "ssd":
        _ssd(pipeline.model.ssd, changes)
    return changes
