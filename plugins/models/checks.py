"""Model settings that cannot work, refused before anything is built or trained; what
a model needs filled in, filled in before that (``imagine_fit_pipeline``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imagine_core.api import Problem, hookimpl

SIDES = {
    "fixed_shape_resizer": ("height", "width"),
    "keep_aspect_ratio_resizer": ("min_dimension", "max_dimension"),
}


PAD = "model.faster_rcnn.image_resizer.keep_aspect_ratio_resizer.pad_to_max_dimension"


@hookimpl
def imagine_fit_pipeline(pipeline: Any, given: Callable[[str], bool]) -> list[str]:
    """Faster R-CNN's anchors and region-proposal targets need one static image size: a
    keep-aspect-ratio resizer pads to its maximum (TF OD API configs leave it unset,
    which reads as false), and the line printed says so."""
    if pipeline.model.WhichOneof("model") != "faster_rcnn":
        return []
    resizer = pipeline.model.faster_rcnn.image_resizer
    if resizer.WhichOneof("image_resizer_oneof") != "keep_aspect_ratio_resizer":
        return []
    keep = resizer.keep_aspect_ratio_resizer
    if keep.pad_to_max_dimension:
        return []
    keep.pad_to_max_dimension = True
    side = keep.max_dimension
    return [f"{PAD}=true (faster_rcnn pads every image to {side}x{side}: one static size)"]


@hookimpl
def imagine_check_pipeline(pipeline: Any) -> list[Problem]:
    name = pipeline.model.WhichOneof("model")
    if name is None:  # `~model` on the command line, or a pipeline file without one
        return [
            Problem(
                "model",
                "no model is chosen: there is nothing to train or evaluate",
                "choose one, e.g. model=glyph_retinanet_small (`imagine config show` "
                "lists the options of the model group)",
            )
        ]
    if name not in ("ssd", "faster_rcnn"):
        return []
    resizer = getattr(pipeline.model, name).image_resizer
    chosen = resizer.WhichOneof("image_resizer_oneof")
    problems = []
    for side in SIDES.get(chosen, ()):
        value = getattr(getattr(resizer, chosen), side)
        if value <= 0:
            problems.append(
                Problem(
                    f"model.{name}.image_resizer.{chosen}.{side}",
                    f"an image side of {value} px",
                    "use a positive size (the model's input, e.g. 256)",
                )
            )
    return problems
