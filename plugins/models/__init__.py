"""Detection models on Model Garden (``official.vision``).

Registers the meta-architecture ``ssd`` for the RetinaNet family (SSD with FPN
feature maps, multiscale anchors, a weight-shared box predictor and focal loss)
with the feature extractors ``ssd_mobilenet_v2_fpn``, ``ssd_mobilenet_v1_fpn``
and ``ssd_resnet50_v1_fpn``, classic SSD and Faster R-CNN, and the parts such models
are made of; model settings that cannot work are refused before anything is built.
"""

from imagine_plugins.models.checks import imagine_check_pipeline, imagine_fit_pipeline
from imagine_plugins.models.plugin import imagine_config_dirs, imagine_reads, imagine_register

__all__ = [
    "imagine_check_pipeline",
    "imagine_config_dirs",
    "imagine_fit_pipeline",
    "imagine_reads",
    "imagine_register",
]
