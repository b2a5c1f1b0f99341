"""The ``ocr`` section checked before anything runs: a value that cannot work is refused
by ``config validate`` and before ``imagine run`` starts, not after training."""

from __future__ import annotations

from typing import Any

from imagine_core.api import Problem, hookimpl

DIRECTIONS = ("ltr", "rtl")


def _tile_side(pipeline: Any) -> int:
    """The tile side pages will be read with: ``ocr.tile_size``, or the model's input."""
    if pipeline.ocr.tile_size:
        return pipeline.ocr.tile_size
    name = pipeline.model.WhichOneof("model")
    resizer = getattr(pipeline.model, name).image_resizer if name else None
    if resizer is not None and resizer.HasField("fixed_shape_resizer"):
        shape = resizer.fixed_shape_resizer
        return min(shape.height, shape.width)
    return 0


@hookimpl
def imagine_check_pipeline(pipeline: Any) -> list[Problem]:
    ocr = pipeline.ocr
    problems = []
    if ocr.direction not in DIRECTIONS:
        problems.append(
            Problem(
                "ocr.direction", f"unknown reading direction {ocr.direction!r}", "use ltr or rtl"
            )
        )
    tile = _tile_side(pipeline)
    if tile > 0 and not 0 <= ocr.tile_overlap < tile:
        problems.append(
            Problem(
                "ocr.tile_overlap",
                f"the overlap ({ocr.tile_overlap} px) must be smaller than the tile ({tile} px)",
                "lower ocr.tile_overlap (a little more than the tallest glyph) or raise "
                "ocr.tile_size",
            )
        )
    return problems  # scores in [0, 1] are the schema's bounds (protos/ocr.proto)
