"""``imagine eval RUN_DIR`` (a run's newest checkpoint on its eval pages),
``imagine eval --ocr --gt GT_DIR PRED_DIR`` (text files against ground truth) and
``imagine eval --detections SAVED`` (detections saved earlier, by any protocol)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from imagine_core.api import Command, ImagineError


class Eval(Command):
    help = "evaluate a trained run on its eval pages, or OCR text against ground truth (--ocr)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "folder",
            type=Path,
            nargs="?",
            help="a run folder of `imagine run`; with --ocr, the folder of .txt files "
            "`imagine ocr` wrote",
        )
        parser.add_argument(
            "--detections",
            type=Path,
            metavar="SAVED",
            help="score saved detections instead: TFRecords with the TF OD API's "
            "image/detection/* keys, or a folder of `imagine ocr` JSON (with --gt DATA)",
        )
        parser.add_argument(
            "--metrics",
            nargs="+",
            metavar="NAME",
            help="with --detections: evaluators (eval_config.metrics_set names; default "
            "pascal_voc_detection_metrics coco_detection_metrics)",
        )
        parser.add_argument("--label-map", help="names the class ids records hold")
        parser.add_argument(
            "--hierarchy", help="with --detections: an Open Images class hierarchy JSON"
        )
        parser.add_argument(
            "--per-class", action="store_true", help="with --detections: AP of every class"
        )
        parser.add_argument(
            "--ocr", action="store_true", help="score text files against --gt (CER, WER)"
        )
        parser.add_argument(
            "--gt", type=Path, help="with --ocr: folder of ground truth, <page>.gt.txt"
        )
        parser.add_argument("--top", type=int, default=15, help="confusions to list")

    def run(self, args: argparse.Namespace) -> int:
        if args.detections is not None:
            return self.saved(args)
        if args.folder is None:
            raise ImagineError(
                "name a run folder (or --detections SAVED)", fix="imagine eval RUN_DIR"
            )
        if args.ocr:
            return self.text(args)
        if args.gt:
            raise ImagineError("--gt goes with --ocr", fix="add --ocr, or drop --gt")
        from imagine_core.api import restore  # asks the loader of the folder's layout
        from imagine_plugins.runners.evaluate import evaluate

        pipeline, model, label_map = restore(args.folder)
        metrics = evaluate(pipeline, model, label_map, args.folder)
        (args.folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        return 0

    def text(self, args: argparse.Namespace) -> int:
        from imagine_core.api import get_plugins, instantiate, out, read_text

        if args.gt is None:
            raise ImagineError("--ocr needs --gt GT_DIR", fix="name the ground-truth folder")
        for folder in (args.gt, args.folder):
            if not folder.is_dir():
                raise ImagineError("no such folder", where=str(folder))
        truths = {p.name[: -len(".gt.txt")]: p for p in sorted(args.gt.glob("*.gt.txt"))}
        if not truths:
            raise ImagineError(
                "no ground truth here",
                where=str(args.gt),
                fix="put one <page>.gt.txt per page there (the kraken/Calamari convention)",
            )
        record = get_plugins().registry.get("evaluator", "character_error_rate")
        evaluator = instantiate(record, None, None)
        evaluator.top = args.top
        failed: list[str] = []  # one page that cannot be read never stops the others
        for name, truth in truths.items():
            predicted = args.folder / f"{name}.txt"
            if not predicted.exists():
                failed.append(f"{predicted}: no OCR text (run `imagine ocr` on the page)")
                continue
            try:
                evaluator.add_text(
                    name, read_text(truth, "ground truth"), read_text(predicted, "OCR text")
                )
            except ImagineError as exc:
                failed.append(str(exc).splitlines()[0])
        if len(failed) == len(truths):
            raise ImagineError(
                f"no page could be evaluated; first: {failed[0]}", where=str(args.folder)
            )
        for table in evaluator.tables():
            out.print(table)
        metrics = evaluator.result()
        (args.folder / "eval.json").write_text(
            json.dumps({**metrics, "pages": {p.name: p.cer for p in evaluator.pages}}, indent=2),
            encoding="utf-8",
        )
        return _left_out(failed, len(truths))

    def saved(self, args: argparse.Namespace) -> int:
        """Every chosen protocol on saved detections; eval.json beside them (or in FOLDER)."""
        from imagine_core.api import get_plugins, instantiate, proto_module
        from imagine_plugins.runners.evaluate import (
            outside_ignored,
            report,
            summarise,
            truth_of,
        )
        from imagine_plugins.runners.saved import DEFAULT_METRICS, saved_pairs

        pipeline = proto_module("pipeline").TrainEvalPipelineConfig()
        pipeline.eval_config.include_metrics_per_category = args.per_class
        pipeline.eval_config.class_hierarchy_file = args.hierarchy or ""
        pipeline.eval_config.min_score_threshold = 0.0
        registry = get_plugins().registry
        evaluators = [
            instantiate(registry.get("evaluator", name, where="--metrics"), None, pipeline)
            for name in args.metrics or DEFAULT_METRICS
        ]
        gt = str(args.gt) if args.gt else None
        failed: list[str] = []
        pairs = saved_pairs(args.detections, gt, args.label_map, failed)
        for example, found in pairs:
            for evaluator in evaluators:
                evaluator.add(truth_of(example), outside_ignored(found, example))
        source = args.detections
        folder = args.folder or (source if source.is_dir() else source.parent)
        report(summarise(evaluators), folder / "eval.json")
        return _left_out(failed, len(pairs) + len(failed))


def _left_out(failed: list[str], total: int) -> int:
    """Name the pages that could not be scored (the metrics are of the others): exit 2."""
    from imagine_core.api import err

    if not failed:
        return 0
    err.print(f"[bold red]{len(failed)} of {total} pages not evaluated:[/]")
    for line in failed:
        err.print(f"  - {line}", markup=False)
    return 2
