"""One runner per hardware: each builds a tf.distribute strategy and runs the shared loop."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from imagine_core.api import ImagineError, Runner, err


class StrategyRunner(Runner):
    hardware = "cpu"

    def __init__(self, hardware: Any):
        self.config = hardware
        self._strategy: Any = None

    def strategy(self) -> Any:
        import tensorflow as tf

        return tf.distribute.get_strategy()

    def start(self) -> None:
        """The strategy first: a multi-worker one must exist before any TensorFlow op."""
        self._strategy = self.strategy()

    def run(self, pipeline: Any, run_dir: Path) -> dict[str, float]:
        from imagine_plugins.runners.evaluate import evaluate
        from imagine_plugins.runners.train import train

        strategy = self._strategy or self.strategy()
        detector, label_map = train(pipeline, run_dir, strategy, chief=self.chief)
        if not self.chief:  # the chief evaluates and writes the metrics
            return {}
        return evaluate(pipeline, detector, label_map, run_dir)


def _gpus(hardware: str) -> list[Any]:
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if not gpus:
        raise ImagineError(
            f"hardware={hardware} but TensorFlow sees no GPU",
            where="hardware.type",
            fix="use hardware=cpu, or install a CUDA-enabled TensorFlow",
        )
    return gpus


class CpuRunner(StrategyRunner):
    """The default strategy: this machine's CPU cores."""


class GpuRunner(StrategyRunner):
    def strategy(self) -> Any:
        import tensorflow as tf

        return tf.distribute.OneDeviceStrategy(_gpus("gpu")[0].name)


class MultiGpuRunner(StrategyRunner):
    def strategy(self) -> Any:
        """MirroredStrategy over this machine's GPUs (or the logical CPU devices a
        program configured, when it has no GPU)"""
        import tensorflow as tf

        cpus = tf.config.list_logical_devices("CPU")
        if not tf.config.list_logical_devices("GPU") and len(cpus) > 1:
            # Only code can split the CPU (tf.config.set_logical_device_configuration,
            # before TensorFlow starts): whoever did wants the strategy mirrored over them.
            devices = cpus
            err.print(f"no GPU: mirroring over the {len(cpus)} logical CPU devices")
        else:
            devices = _gpus("multi_gpu")
        count = self.config.num_devices or len(devices)
        return tf.distribute.MirroredStrategy([d.name for d in devices[:count]])


def cluster_of_tf_config() -> dict[str, Any]:
    """TF_CONFIG, the cluster description every worker of tf.distribute reads, checked."""
    how = (
        'export TF_CONFIG=\'{"cluster": {"worker": ["host1:port", "host2:port"]}, '
        '"task": {"type": "worker", "index": 0}}\' on each worker, its own index on each '
        "(docs/configuration.md#several-machines)"
    )
    raw = os.environ.get("TF_CONFIG", "").strip()
    if not raw:
        raise ImagineError("hardware=multi_worker needs TF_CONFIG describing the cluster", fix=how)
    try:
        config = json.loads(raw)
        task = config["task"]
        workers = config["cluster"][task["type"]]
        index = int(task["index"])
    except (ValueError, KeyError, TypeError) as exc:
        problem = f"no {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ImagineError(
            f"TF_CONFIG does not describe a cluster and this worker's place in it ({problem})",
            where="TF_CONFIG",
            fix=how,
        ) from None
    if not isinstance(workers, list) or not 0 <= index < len(workers):
        raise ImagineError(
            f"TF_CONFIG: task {task['type']} {index} is not in the cluster's list of "
            f"{task['type']} addresses",
            where="TF_CONFIG",
            fix=how,
        )
    return config


class MultiWorkerRunner(StrategyRunner):
    """Every worker runs the same command with its own TF_CONFIG; they train in step."""

    @property
    def chief(self) -> bool:  # type: ignore[override]
        """tf.distribute's rule: the "chief" task, or worker 0 of a cluster without one."""
        config = cluster_of_tf_config()
        task, cluster = config["task"], config["cluster"]
        return task["type"] == "chief" or (
            task["type"] == "worker" and int(task["index"]) == 0 and "chief" not in cluster
        )

    def strategy(self) -> Any:
        """MultiWorkerMirroredStrategy over the machines TF_CONFIG names"""
        import tensorflow as tf

        config = cluster_of_tf_config()
        cluster, task = config["cluster"], config["task"]
        workers = sum(len(tasks) for kind, tasks in cluster.items() if kind != "ps")
        err.print(f"waiting for the {workers} workers of TF_CONFIG to start")
        try:
            return tf.distribute.MultiWorkerMirroredStrategy()
        except (tf.errors.OpError, RuntimeError) as exc:
            address = cluster[task["type"]][int(task["index"])]
            raise ImagineError(
                f"this worker cannot start its server at {address}: {exc}",
                where=f"TF_CONFIG (task {task['type']} {task['index']})",
                fix="free that port (is an earlier run of this worker still alive?) or give "
                "the task another one, in the TF_CONFIG of every worker",
            ) from None


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
