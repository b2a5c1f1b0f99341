"""Detection models on Model Garden (``official.vision``).

Registers the meta-architecture ``ssd`` for the RetinaNet family (SSD with FPN
feature maps, multiscale anchors, a weight-shared box predictor and focal loss)
with the feature extractors ``ssd_mobilenet_v2_fpn``, ``ssd_mobilenet_v1_fpn``
and ``ssd_resnet50_v1_fpn``, and the parts such a model is made of. Configs the
plugin cannot build yet (classic SSD anchors and heads, Faster R-CNN) are named
by ``imagine config validate`` as components no plugin provides.
"""

from imagine_plugins.models.plugin import imagine_reads, imagine_register

__all__ = ["imagine_reads", "imagine_register"]
