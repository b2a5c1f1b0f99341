"""The TF Object Detection API's TPU rules: fitted, then checked, before any TPU is touched.

TPUs compile the whole step with static shapes, so a pipeline for
``hardware=tpu`` must pad images and boxes to fixed sizes, use matmul-based
gathers, prefer focal loss over hard example mining (whose NMS has dynamic
shapes) and split its batch evenly over the TPU cores. What can be set without
changing what the user asked for is set (``fit.py``); every rule still broken is
reported with its path and the fix (``rules.py``).
"""

from imagine_plugins.tpu_rules.fit import imagine_fit_pipeline
from imagine_plugins.tpu_rules.rules import imagine_check_pipeline

__all__ = ["imagine_check_pipeline", "imagine_fit_pipeline"]
