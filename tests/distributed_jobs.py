"""Training under tf.distribute strategies in a process of its own, for tests/test_runners.py.

Logical devices can only be configured before TensorFlow starts, so the test runs this
script: ``python distributed_jobs.py mirrored RUN_DIR OVERRIDE...`` trains a tiny pipeline
with the CPU split into two logical devices, deterministically from one seed, and prints
what the test compares as one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
FROZEN = "lr=1e-12"  # the weights do not move: every step's loss is of the same model


def mirrored(run_dir: Path, overrides: list[str]) -> dict:
    """The losses of the first two examples on one device (the weights held still), the
    losses of global batches of two mirrored over two devices (a replica's share each),
    and whether the replicas' copies of every weight agree after two updates (the
    gradients were summed over the replicas)."""
    import numpy as np
    import tensorflow as tf
    import tf_keras

    import imagine
    from imagine_plugins.runners import train as training

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    tf.config.experimental.enable_op_determinism()
    losses: list[float] = []
    make = training.make_train_step

    def recording(*args, **kwargs):  # the loss of every step, as the loop sees it
        step = make(*args, **kwargs)

        def recorded(batch):
            total, parts = step(batch)
            losses.append(float(total))
            return total, parts

        return recorded

    training.make_train_step = recording

    def run(name: str, strategy, *more: str):
        tf_keras.utils.set_random_seed(0)
        losses.clear()
        pipeline = imagine.pipeline([*overrides, *more])
        detector, _ = training.train(pipeline, run_dir / name, strategy)
        return list(losses), detector

    single, _ = run("single", tf.distribute.get_strategy(), "batch_size=1", "steps=2", FROZEN)
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    shared, detector = run("mirrored", mirrored, "batch_size=2", "steps=2")
    agree = all(
        np.array_equal(v.values[0].numpy(), v.values[1].numpy())
        for v in detector.trainable_variables
    )
    return {"single": single, "mirrored": shared, "replicas_agree": agree}


if __name__ == "__main__":
    job, folder, *rest = sys.argv[1:]
    print(json.dumps({"mirrored": mirrored}[job](Path(folder), rest)))
