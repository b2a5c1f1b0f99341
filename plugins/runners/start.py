"""Where a run starts: from the model imagine ships (``train_config.start_from``, default
``base``) when nothing else is asked and the run's model is built as the shipped one's, so
that a few marks fine-tune a model that already knows glyphs instead of a blank one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagine_core.api import ImagineError, err, model_config, shipped_folder, shipped_models

SCRATCH = ("", "scratch")
# Parts of a model message that shape no weight: a shipped model fits a run that differs
# only in them (its class head is carried over by character).
UNSHAPING = ("num_classes", "post_processing", "second_stage_post_processing", "loss")


def start_from(pipeline: Any) -> list[str]:
    """Fill ``fine_tune_checkpoint`` from ``start_from``, and ``ocr.fill_from`` (what reads
    the characters the run's marks lack) with the model started from; return what was
    filled."""
    config = pipeline.train_config
    name = config.start_from
    if config.fine_tune_checkpoint:
        return _inherit_fill_from(pipeline, Path(config.fine_tune_checkpoint))
    if name in SCRATCH:
        return []
    # the shipped model itself, whatever folder of that name the working directory holds
    folder = shipped_folder(name)
    if folder is None:
        if not config.HasField("start_from"):
            return []  # the default, and no base model is installed
        raise ImagineError(
            f"no shipped model is named {name!r}",
            where="start_from (train_config.start_from)",
            fix=f"name one of: {', '.join(shipped_models()) or 'none installed'}, or "
            "'scratch'; a run folder goes in train_config.fine_tune_checkpoint",
        )
    shipped, _ = model_config(folder)
    if _weights_of(shipped.model) != _weights_of(pipeline.model):
        err.print(
            f"training from scratch: the shipped model {name!r} is built otherwise than "
            f"this run's model (start_from)"
        )
        return []
    config.fine_tune_checkpoint = str(folder)
    config.fine_tune_checkpoint_type = "detection"
    return [
        f"train_config.fine_tune_checkpoint={folder} (the shipped model {name!r}; "
        "start_from=scratch trains from scratch)",
        *_fill_from(pipeline, name),
    ]


def _fill_from(pipeline: Any, name: str) -> list[str]:
    """Record ``ocr.fill_from`` unless the user set it (``+ocr.fill_from=''``: none)."""
    if not name or pipeline.ocr.HasField("fill_from"):
        return []
    pipeline.ocr.fill_from = name
    return [f"ocr.fill_from={name} (it reads the characters this run's pages lack)"]


def _inherit_fill_from(pipeline: Any, checkpoint: Path) -> list[str]:
    """A run fine-tuned from another run (a round of ``imagine fewshot``) reads with what
    that run read with."""
    try:
        started, _ = model_config(checkpoint)
    except ImagineError:
        return []  # a checkpoint file or a folder of another layout: nothing recorded
    return _fill_from(pipeline, started.ocr.fill_from)


def _weights_of(model: Any) -> bytes:
    """The model message without the fields that shape no weight, serialised."""
    copy = type(model)()
    copy.CopyFrom(model)
    which = copy.WhichOneof("model")
    if which is None:
        return b""
    inner = getattr(copy, which)
    for name in UNSHAPING:
        if name in inner.DESCRIPTOR.fields_by_name:
            inner.ClearField(name)
    return copy.SerializeToString(deterministic=True)
