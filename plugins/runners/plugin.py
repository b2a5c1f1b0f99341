"""Hooks of the runners plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagine_core.api import hookimpl
from imagine_plugins.runners import optim
from imagine_plugins.runners.strategies import RUNNERS


def _message(module: str, name: str) -> Any:
    from imagine_core.api import proto_module

    return getattr(proto_module(module), name)


@hookimpl
def imagine_config_dirs():
    """``hardware/`` and ``train/`` options of the config."""
    return [str(Path(__file__).resolve().parent / "conf")]


@hookimpl
def imagine_register(registry):
    for name, cls in RUNNERS.items():
        registry.add(
            "runner",
            name,
            factory=lambda config=None, slot=None, pipeline=None, cls=cls: cls(slot),
            description=f"{name}: {cls.strategy.__doc__ or 'tf.distribute strategy'}",
        )
    optimizer = _message("optimizer", "Optimizer").DESCRIPTOR
    for name in optim.OPTIMIZERS:
        cls = _message("optimizer", optimizer.fields_by_name[name].message_type.name)
        registry.add(
            "optimizer",
            name,
            config_type=cls,
            factory=lambda config, slot, pipeline=None: optim.KerasOptimizer(config, slot),
        )
    rate = _message("optimizer", "LearningRate").DESCRIPTOR
    for name, schedule in optim.SCHEDULES.items():
        cls = _message("optimizer", rate.fields_by_name[name].message_type.name)
        registry.add(
            "learning_rate",
            name,
            config_type=cls,
            factory=lambda config, slot=None, pipeline=None, s=schedule: s(config),
        )

    from imagine_plugins.runners.commands import Eval
    from imagine_plugins.runners.run_folder import RunFolderLoader

    registry.add("command", "eval", factory=lambda **_: Eval(), description=Eval.help)
    registry.add(
        "model_loader",
        "run_folder",
        factory=lambda **_: RunFolderLoader(),
        description="a run folder of `imagine run`: pipeline.config, label_map.pbtxt, "
        "checkpoints/ (the newest is loaded)",
    )


@hookimpl
def imagine_resolve_pipeline(pipeline):
    from imagine_plugins.runners.train import resolve

    return resolve(pipeline)


@hookimpl
def imagine_short_keys():
    from imagine_plugins.runners.short_keys import SHORT_KEYS

    return SHORT_KEYS


@hookimpl
def imagine_reads():
    return [
        "hardware.type",
        "hardware.num_devices",
        "hardware.tpu_name",
        "hardware.jit_compile",
        "hardware.mixed_precision",
        "train_config.optimizer.*",
        "train_config.num_steps",
        "train_config.checkpoint_every_n_steps",
        "train_config.max_checkpoints_to_keep",
        "train_config.gradient_clipping_by_norm",
        "train_config.add_regularization_loss",
        "train_config.fine_tune_checkpoint",
        "train_config.fine_tune_checkpoint_type",
        "train_config.from_detection_checkpoint",
        "train_config.start_from",
        "eval_config.num_visualizations",
        "eval_config.use_moving_averages",
    ]
