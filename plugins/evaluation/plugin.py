"""Hooks of the evaluation plugin."""

from __future__ import annotations

from imagine_core import hookimpl


def _coco(config=None, slot=None, pipeline=None):
    from imagine_plugins.evaluation.metrics import CocoDetectionMetrics

    return CocoDetectionMetrics(pipeline.eval_config.min_score_threshold if pipeline else 0.0)


def _cer(config=None, slot=None, pipeline=None):
    """Reads text as `imagine ocr` does: the pipeline's text assembler, score and direction."""
    from imagine_core.pipeline import instantiate
    from imagine_core.plugins import get_plugins
    from imagine_core.schema import proto_module
    from imagine_plugins.evaluation.metrics import CharacterErrorRate

    ocr = pipeline.ocr if pipeline is not None else proto_module("ocr").Ocr()
    record = get_plugins().registry.get(
        "text_assembler", ocr.text_assembler, where="ocr.text_assembler"
    )
    return CharacterErrorRate(instantiate(record, ocr, pipeline), ocr.min_score, ocr.direction)


@hookimpl
def imagine_register(registry):
    registry.add(
        "evaluator",
        "coco_detection_metrics",
        factory=_coco,
        description="COCO mAP and recall (pycocotools), up to 1000 detections per page",
    )
    registry.add(
        "evaluator",
        "character_error_rate",
        factory=_cer,
        description="character and word error rate of the text read from the detections",
    )


@hookimpl
def imagine_reads():
    return [
        "eval_config.metrics_set",
        "eval_config.min_score_threshold",
        "eval_config.num_examples",
    ]
