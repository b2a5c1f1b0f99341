"""``imagine data check``: what a dataset holds and everything wrong with it."""

from __future__ import annotations

import statistics
import unicodedata
from collections import Counter

from rich.table import Table
from rich.text import Text

from imagine_core.api import out
from imagine_plugins.datatools.checks import CheckResult


def describe_label(label: str) -> Text:
    """A label as a person can read it: the character and its code points."""
    points = " ".join(f"U+{ord(c):04X}" for c in label)
    shown = label
    if label and unicodedata.category(label[0]).startswith("M"):
        shown = "\u25cc" + label  # a combining mark on a dotted circle
    if not label.isprintable() or label.isspace():
        shown = "\ufffd"
    return Text(f"{shown}  ({points})")


def _percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"{ordered[0]:.0f} / {at(0.1):.0f} / {statistics.median(ordered):.0f} / "
        f"{at(0.9):.0f} / {ordered[-1]:.0f}"
    )


def print_report(result: CheckResult, source: str, top: int = 60) -> None:
    examples = result.examples
    boxes = [b for e in examples for b in e.boxes]
    per_class = Counter(b.label for b in boxes)
    summary = Table(title=f"imagine data check: {source}", show_header=False)
    summary.add_row("annotation items read", str(result.items))
    summary.add_row("usable images", str(len(examples)))
    summary.add_row("boxes", str(len(boxes)))
    summary.add_row("classes (characters)", str(len(per_class)))
    singles = [label for label, n in per_class.items() if n == 1]
    summary.add_row("classes with a single sample", str(len(singles)))
    summary.add_row("box width px (min/p10/median/p90/max)", _percentiles([b.width for b in boxes]))
    summary.add_row(
        "box height px (min/p10/median/p90/max)", _percentiles([b.height for b in boxes])
    )
    for action in ("skipped", "repaired", "dropped", "note"):
        summary.add_row(f"issues: {action}", str(result.count(action)))
    out.print(summary)

    if per_class:
        table = Table(title="boxes per class (fewest first)")
        table.add_column("class")
        table.add_column("boxes", justify="right")
        ranked = sorted(per_class.items(), key=lambda kv: (kv[1], kv[0]))
        for label, count in ranked[:top]:
            table.add_row(describe_label(label), str(count))
        if len(ranked) > top:
            table.add_row(f"… {len(ranked) - top} more (--top to show them)", "")
        out.print(table)

    if result.issues:
        problems = Table(title="problems found")
        for column in ("action", "where", "what"):
            problems.add_column(column, overflow="fold")
        for issue in result.issues:
            problems.add_row(issue.action, Text(issue.where), Text(issue.what))
        out.print(problems)
