"""One runner per hardware: each builds a tf.distribute strategy and runs the shared loop."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from imagine_core.contracts import Runner
from imagine_core.errors import ImagineError


class StrategyRunner(Runner):
    hardware = "cpu"

    def __init__(self, hardware: Any):
        self.config = hardware

    def strategy(self) -> Any:
        import tensorflow as tf

        return tf.distribute.get_strategy()

    def run(self, pipeline: Any, run_dir: Path) -> dict[str, float]:
        from imagine_plugins.runners.evaluate import evaluate
        from imagine_plugins.runners.train import train

        strategy = self.strategy()
        detector, label_map = train(pipeline, run_dir, strategy)
        return evaluate(pipeline, detector, label_map, run_dir)


def _gpus() -> list[Any]:
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if not gpus:
        raise ImagineError(
            "hardware=gpu but TensorFlow sees no GPU",
            where="hardware.type",
            fix="use hardware=cpu, or install a CUDA-enabled TensorFlow",
        )
    return gpus


class CpuRunner(StrategyRunner):
    pass


class GpuRunner(StrategyRunner):
    def strategy(self) -> Any:
        import tensorflow as tf

        return tf.distribute.OneDeviceStrategy(_gpus()[0].name)


class MultiGpuRunner(StrategyRunner):
    def strategy(self) -> Any:
        import tensorflow as tf

        gpus = _gpus()
        count = self.config.num_devices or len(gpus)
        return tf.distribute.MirroredStrategy([g.name for g in gpus[:count]])


class MultiWorkerRunner(StrategyRunner):
    def strategy(self) -> Any:
        import tensorflow as tf

        try:
            cluster = json.loads(os.environ["TF_CONFIG"])
            assert cluster["cluster"] and "task" in cluster
        except (KeyError, ValueError, AssertionError, TypeError):
            raise ImagineError(
                "hardware=multi_worker needs TF_CONFIG describing the cluster",
                fix='export TF_CONFIG=\'{"cluster": {"worker": ["host1:port", …]}, '
                '"task": {"type": "worker", "index": 0}}\' on each worker',
            ) from None
        return tf.distribute.MultiWorkerMirroredStrategy()


class TpuRunner(StrategyRunner):
    def strategy(self) -> Any:
        import tensorflow as tf

        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
                tpu=self.config.tpu_name or None
            )
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.OpError) as exc:
            raise ImagineError(
                f"no TPU reachable: {exc}",
                where="hardware.tpu_name",
                fix="set hardware.tpu_name (or TPU_NAME) to your TPU",
            ) from None
        return tf.distribute.TPUStrategy(resolver)


RUNNERS = {
    "cpu": CpuRunner,
    "gpu": GpuRunner,
    "multi_gpu": MultiGpuRunner,
    "multi_worker": MultiWorkerRunner,
    "tpu": TpuRunner,
}
