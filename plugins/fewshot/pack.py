"""A run folder made fit to ship: the newest weights alone, without what only training
needs (the optimizer's slots, the step), so that it reads, exports and fine-tunes like the
run at about a third of its size (the base model in ``plugins/base_model/model``)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from imagine_core.api import latest_checkpoint, publish_folder, read_pipeline, restore, to_text


def pack(run: Path, out: Path) -> Path:
    """Write ``run``'s newest checkpoint as a weights-only run folder ``out``, whose
    pipeline names no checkpoint to start from: its weights are all there (a run fine-tuned
    from the shipped model would otherwise name the folder it once was)."""
    import tensorflow as tf

    newest = latest_checkpoint(run)
    match = re.search(r"ckpt-(\d+)$", newest.name)
    _, detector, label_map = restore(run, newest)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    (staging / "pipeline.config").write_text(_standalone(run / "pipeline.config"), "utf-8")
    label_map.write(staging / "label_map.pbtxt")
    weights = tf.train.Checkpoint(**detector.checkpoint_items())
    manager = tf.train.CheckpointManager(weights, str(staging / "checkpoints"), max_to_keep=1)
    manager.save(checkpoint_number=int(match.group(1)) if match else 0)
    # the index names the checkpoint by its staging path: make it relative again
    index = staging / "checkpoints" / "checkpoint"
    index.write_text(index.read_text().replace(f"{staging / 'checkpoints'}/", ""))
    staging.chmod(0o755)  # mkdtemp's folder is the owner's alone: a shipped model is read by all
    publish_folder(staging, out, replace=True)
    return out


def _standalone(config: Path) -> str:
    pipeline = read_pipeline(config)
    pipeline.train_config.ClearField("fine_tune_checkpoint")
    pipeline.train_config.ClearField("fine_tune_checkpoint_type")
    return to_text(pipeline)
