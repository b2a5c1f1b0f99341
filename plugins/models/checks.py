"""Model settings that cannot work, refused before anything is built or trained."""

from __future__ import annotations

from typing import Any

from imagine_core.api import Problem, hookimpl

SIDES = {
    "fixed_shape_resizer": ("height", "width"),
    "keep_aspect_ratio_resizer": ("min_dimension", "max_dimension"),
}


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
