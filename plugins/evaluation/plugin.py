"""Hooks of the evaluation plugin."""

from __future__ import annotations

from imagine_core import hookimpl


@hookimpl
def imagine_register(registry):
    from imagine_plugins.evaluation.metrics import CharacterErrorRate, CocoDetectionMetrics

    registry.add(
        "evaluator",
        "coco_detection_metrics",
        factory=lambda config=None, slot=None, pipeline=None: CocoDetectionMetrics(),
        description="COCO mAP and recall (pycocotools), up to 1000 detections per page",
    )
    registry.add(
        "evaluator",
        "character_error_rate",
        factory=lambda config=None, slot=None, pipeline=None: CharacterErrorRate(
            pipeline.eval_config.min_score_threshold if pipeline is not None else 0.3
        ),
        description="character and word error rate of the text read from the detections",
    )


@hookimpl
def imagine_reads():
    return [
        "eval_config.metrics_set",
        "eval_config.min_score_threshold",
        "eval_config.num_examples",
    ]
