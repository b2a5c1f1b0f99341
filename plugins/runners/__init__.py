"""Runners (``hardware=cpu|gpu|multi_gpu|multi_worker|tpu``), the training loop they share,
evaluation at the end, and the optimizers and learning-rate schedules of ``train_config``."""

from imagine_plugins.runners.checks import imagine_check_pipeline
from imagine_plugins.runners.plugin import (
    imagine_config_dirs,
    imagine_reads,
    imagine_register,
    imagine_resolve_pipeline,
    imagine_short_keys,
)

__all__ = [
    "imagine_check_pipeline",
    "imagine_config_dirs",
    "imagine_reads",
    "imagine_register",
    "imagine_resolve_pipeline",
    "imagine_short_keys",
]
