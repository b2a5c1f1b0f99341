"""Hooks of the evaluation plugin."""

from __future__ import annotations

from pathlib import Path

from imagine_core.api import hookimpl


def _coco(config=None, slot=None, pipeline=None):
    from imagine_plugins.evaluation.metrics import CocoDetectionMetrics

    return CocoDetectionMetrics(pipeline.eval_config.min_score_threshold if pipeline else 0.0)


def _cer(config=None, slot=None, pipeline=None):
    """Reads text as `imagine ocr` does: the pipeline's text assembler, score and direction."""
    from imagine_core.api import get_plugins, instantiate, proto_module
    from imagine_plugins.evaluation.metrics import CharacterErrorRate

    ocr = pipeline.ocr if pipeline is not None else proto_module("ocr").Ocr()
    record = get_plugins().registry.get(
        "text_assembler", ocr.text_assembler, where="ocr.text_assembler"
    )
    return CharacterErrorRate(instantiate(record, ocr, pipeline), ocr.min_score, ocr.direction)


# metrics_set name -> the TF OD API's metric prefix and how the protocol counts boxes.
DETECTION_PROTOCOLS = {
    "pascal_voc_detection_metrics": ("PascalBoxes", {}),
    "weighted_pascal_voc_detection_metrics": ("WeightedPascalBoxes", {"weighted": True}),
    "oid_V2_detection_metrics": ("OpenImagesV2", {"open_images": True}),
    "oid_challenge_detection_metrics": (
        "OpenImagesDetectionChallenge",
        {"open_images": True, "group_of_weight": 1.0, "verified_only": True},
    ),
}


def _detection(name: str):
    prefix, options = DETECTION_PROTOCOLS[name]

    def factory(config=None, slot=None, pipeline=None):
        from imagine_plugins.evaluation.detection import DetectionMetrics, load_hierarchy

        settings = pipeline.eval_config if pipeline is not None else None
        hierarchy = None
        if settings is not None and settings.class_hierarchy_file and options.get("open_images"):
            hierarchy = load_hierarchy(settings.class_hierarchy_file)
        return DetectionMetrics(
            prefix,
            hierarchy=hierarchy,
            per_category=bool(settings and settings.include_metrics_per_category),
            **options,
        )

    return factory


DESCRIPTIONS = {
    "pascal_voc_detection_metrics": "PASCAL VOC 2010 AP at IoU 0.5 per class and its mean "
    "(difficult boxes ignored)",
    "weighted_pascal_voc_detection_metrics": "VOC AP at IoU 0.5 over all classes' detections "
    "pooled (weighted by positives)",
    "oid_V2_detection_metrics": "Open Images V2 AP: detections inside group-of boxes ignored; "
    "hierarchy from eval_config.class_hierarchy_file",
    "oid_challenge_detection_metrics": "Open Images challenge AP: a found group-of box counts "
    "once; only verified or boxed classes per page",
}


@hookimpl
def imagine_config_dirs():
    """``eval/`` options of the config."""
    return [str(Path(__file__).resolve().parent / "conf")]


@hookimpl
def imagine_register(registry):
    for name in DETECTION_PROTOCOLS:
        registry.add("evaluator", name, factory=_detection(name), description=DESCRIPTIONS[name])
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
        "eval_config.include_metrics_per_category",
        "eval_config.class_hierarchy_file",
    ]
