"""``imagine config show|validate``: the composed pipeline and what is wrong with it."""

from __future__ import annotations

import argparse
from pathlib import Path

from imagine_core.config.compose import compose
from imagine_core.config.convert import to_text
from imagine_core.config.report import ValidationReport
from imagine_core.config.validate import build_pipeline, validate
from imagine_core.console import out
from imagine_core.errors import ConfigError
from imagine_core.plugins import get_plugins


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="config_command", metavar="{show,validate}", required=True)
    show = sub.add_parser("show", help="print the composed pipeline.config (or --yaml)")
    show.add_argument("--yaml", action="store_true", help="print the composed YAML instead")
    show.add_argument(
        "overrides", nargs="*", help="Hydra overrides, e.g. model=ssd_mobilenet_v2 lr=0.01"
    )
    check = sub.add_parser(
        "validate",
        help="check a pipeline.config file or composed overrides against "
        "the schema, the loaded plugins and the disk",
    )
    check.add_argument(
        "targets",
        nargs="*",
        metavar="FILE.config | OVERRIDE",
        help="a text-format pipeline file, and/or Hydra overrides",
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="also fail on components no plugin provides and fields nothing reads",
    )
    check.add_argument(
        "--build",
        action="store_true",
        help="also build the model and run it once on a blank page (imports TensorFlow): "
        "what a plugin's part returns is checked before any training",
    )
    check.add_argument(
        "--skip-paths",
        action="store_true",
        help="do not check that files named in the config exist",
    )


def run(args: argparse.Namespace) -> int:
    if args.config_command == "show":
        composed = compose(args.overrides)
        if args.yaml:
            out.print(composed.yaml(), end="", markup=False)
            return 0
        pipeline, _ = build_pipeline(composed, get_plugins())
        out.print(to_text(pipeline), end="", markup=False)
        return 0
    return _validate(args)


def _validate(args: argparse.Namespace) -> int:
    overrides = []
    files = []
    for target in args.targets:
        if "=" not in target and (target.endswith((".config", ".pbtxt")) or Path(target).exists()):
            files.append(target)
        else:
            overrides.append(target)
    if len(files) > 1:
        raise ConfigError("give one pipeline file at a time", fix=f"files given: {files}")
    if files:
        overrides = [f"pipeline={files[0]}", *overrides]
    composed = compose(overrides)
    plugins = get_plugins()
    pipeline, report = validate(composed, plugins, check_paths=not args.skip_paths)
    if args.build and report.ok():
        from imagine_core.config.trial import run_once

        run_once(pipeline)  # a part that fails: one ConfigError, exit 2
        out.print("[green]the model builds and runs on a blank page[/green]")
    _print_report(report, files[0] if files else "the composed config")
    return 0 if report.ok(strict=args.strict) else 2


def _print_report(report: ValidationReport, name: str) -> None:
    for line in report.applied_knobs:
        out.print(f"[cyan]applied[/cyan] {line}")
    sections = (
        ("errors", report.errors, "red"),
        ("missing paths", report.missing_paths, "red"),
        ("components that no loaded plugin provides (yet)", report.missing_components, "yellow"),
    )
    for title, problems, colour in sections:
        if problems:
            out.print(f"[bold {colour}]{title}[/bold {colour}] ({len(problems)}):")
            for p in problems:
                out.print(f"  - {p}", markup=False)
    if report.unread_fields:
        out.print(
            f"[bold yellow]fields the config sets that no loaded plugin reads yet[/bold yellow] "
            f"({len(report.unread_fields)}):"
        )
        by_section: dict[str, list[str]] = {}
        for leaf in report.unread_fields:
            section, _, rest = leaf.partition(".")
            by_section.setdefault(section, []).append(rest or section)
        for section, leaves in by_section.items():
            out.print(f"  {section}: {', '.join(leaves)}", markup=False)
    verdict = "[green]valid[/green]" if report.ok() else "[red]invalid[/red]"
    out.print(f"{name}: {verdict}")
