"""Where a run starts: from the model imagine ships (``train_config.start_from``, default
``base``) when nothing else is asked and the run's model is built as the shipped one's, so
that a few marks fine-tune a model that already knows glyphs instead of a blank one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagine_core.api import ImagineError, err, get_plugins, make, model_config, shipped_models

SCRATCH = ("", "scratch")
# Parts of a model message that shape no weight: a shipped model fits a run that differs
# only in them (its class head is carried over by character).
UNSHAPING = ("num_classes", "post_processing", "second_stage_post_processing", "loss")


def start_from(pipeline: Any) -> list[str]:
    """Fill ``fine_tune_checkpoint`` from ``start_from``; return what was filled."""
    config = pipeline.train_config
    name = config.start_from
    if config.fine_tune_checkpoint or name in SCRATCH:
        return []
    if name not in shipped_models():
        if not config.HasField("start_from"):
            return []  # the default, and no base model is installed
        raise ImagineError(
            f"no shipped model is named {name!r}",
            where="start_from (train_config.start_from)",
            fix=f"name one of: {', '.join(shipped_models()) or 'none installed'}, or "
            "'scratch'; a run folder goes in train_config.fine_tune_checkpoint",
        )
    # the shipped model itself, whatever folder of that name the working directory holds
    folder = Path(make(get_plugins().registry.get("trained_model", name)).folder())
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
        "start_from=scratch trains from scratch)"
    ]


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
