"""One function per rule; each returns the problems it finds."""

from __future__ import annotations

from typing import Any

from imagine_core.api import Problem, hookimpl

TPU_CORES_PER_HOST = 8


def _static_resizer(model: Any, name: str) -> list[Problem]:
    resizer = model.image_resizer
    path = f"model.{name}.image_resizer"
    chosen = resizer.WhichOneof("image_resizer_oneof")
    if chosen == "fixed_shape_resizer":
        return []
    if (
        chosen == "keep_aspect_ratio_resizer"
        and resizer.keep_aspect_ratio_resizer.pad_to_max_dimension
    ):
        return []
    return [
        Problem(
            path,
            f"TPUs need static image shapes, but the resizer is {chosen or 'not set'}",
            "use fixed_shape_resizer, or keep_aspect_ratio_resizer with pad_to_max_dimension: true",
        )
    ]


def _padded_boxes(pipeline: Any) -> list[Problem]:
    train = pipeline.train_config
    problems = []
    if train.max_number_of_boxes <= 0:
        problems.append(
            Problem(
                "train_config.max_number_of_boxes",
                "TPUs need ground truth padded to a fixed number of boxes",
                "set it above the most boxes any page has (boxes beyond it are clipped)",
            )
        )
    if train.unpad_groundtruth_tensors:
        problems.append(
            Problem(
                "train_config.unpad_groundtruth_tensors",
                "unpadding ground truth gives dynamic shapes",
                "set it to false",
            )
        )
    return problems


def _ssd(model: Any) -> list[Problem]:
    problems = []
    if model.loss.HasField("hard_example_miner"):
        problems.append(
            Problem(
                "model.ssd.loss.hard_example_miner",
                "hard example mining runs an NMS with dynamic shapes",
                "remove it and use the weighted_sigmoid_focal classification loss",
            )
        )
    matcher = model.matcher
    chosen = matcher.WhichOneof("matcher_oneof")
    matmul_capable = chosen in ("argmax_matcher", "bipartite_matcher")
    if matmul_capable and not getattr(matcher, chosen).use_matmul_gather:
        problems.append(
            Problem(
                f"model.ssd.matcher.{chosen}.use_matmul_gather",
                "tf.gather is slow on TPUs",
                "set use_matmul_gather: true",
            )
        )
    return problems


def _faster_rcnn(model: Any) -> list[Problem]:
    problems = []
    for flag in (
        "use_static_shapes",
        "use_matmul_crop_and_resize",
        "use_matmul_gather_in_matcher",
        "use_static_balanced_label_sampler",
    ):
        if not getattr(model, flag):
            problems.append(
                Problem(
                    f"model.faster_rcnn.{flag}",
                    "Faster R-CNN on TPUs needs static shapes in every stage",
                    f"set {flag}: true",
                )
            )
    if model.HasField("hard_example_miner"):
        problems.append(
            Problem(
                "model.faster_rcnn.hard_example_miner",
                "hard example mining has dynamic shapes",
                "remove it; the balanced sampler is used instead",
            )
        )
    return problems


def _batch(pipeline: Any) -> list[Problem]:
    cores = pipeline.hardware.num_devices or TPU_CORES_PER_HOST
    batch = pipeline.train_config.batch_size
    if batch % cores:
        return [
            Problem(
                "train_config.batch_size",
                f"the batch ({batch}) does not split evenly over {cores} TPU cores",
                f"use a multiple of {cores} (and scale the learning rate with the batch size)",
            )
        ]
    return []


@hookimpl
def imagine_check_pipeline(pipeline: Any) -> list[Problem]:
    if pipeline.hardware.type != "tpu":
        return []
    problems = _padded_boxes(pipeline) + _batch(pipeline)
    name = pipeline.model.WhichOneof("model")
    if name in ("ssd", "faster_rcnn"):
        model = getattr(pipeline.model, name)
        problems += _static_resizer(model, name)
        problems += _ssd(model) if name == "ssd" else _faster_rcnn(model)
    return problems
