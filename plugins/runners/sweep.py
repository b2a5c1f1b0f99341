"""The summary of a Hydra multirun: every job's overrides and metrics, as a table and a CSV.

A Hydra callback (the option ``hydra/callbacks=sweep_summary`` of this plugin's config
folder, which the config's defaults list). It reads what each job wrote
(``.hydra/overrides.yaml`` and ``metrics.json`` in its folder), so it works with
any launcher, jobs in other processes included.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import yaml
from hydra.experimental.callback import Callback


def collect(sweep_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for overrides_file in sorted(sweep_dir.glob("*/.hydra/overrides.yaml")):
        job = overrides_file.parent.parent
        overrides = yaml.safe_load(overrides_file.read_text(encoding="utf-8")) or []
        metrics_file = job / "metrics.json"
        metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
        rows.append(
            {
                "job": job.name,
                "overrides": " ".join(overrides),
                "status": "done" if metrics else "failed",
                **metrics,
            }
        )
    return rows


def write_summary(sweep_dir: Path) -> Path | None:
    from rich.table import Table

    from imagine_core.api import out

    rows = collect(sweep_dir)
    if not rows:
        return None
    columns = ["job", "overrides", "status"]
    preferred = ["primary", "CER", "mAP", "mAP@0.5"]
    metric_names = sorted(
        {k for r in rows for k in r} - set(columns),
        key=lambda k: (k not in preferred, preferred.index(k) if k in preferred else 0, k),
    )
    target = sweep_dir / "summary.csv"
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns + metric_names)
        writer.writeheader()
        writer.writerows(rows)
    table = Table(title=f"sweep summary ({target})")
    shown = columns + metric_names[:4]
    for column in shown:
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(
                f"{row[c]:.4f}" if isinstance(row.get(c), float) else str(row.get(c, ""))
                for c in shown
            )
        )
    out.print(table)
    best = best_job(rows)
    if best is not None:
        out.print(
            f"best: job {best['job']} ({best['overrides']}), primary {best['primary']:.4f} "
            "(lower is better)",
            highlight=False,
        )
    return target


def best_job(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The finished job with the lowest primary metric (the direction every run reports)."""
    scored = [r for r in rows if isinstance(r.get("primary"), int | float)]
    return min(scored, key=lambda r: r["primary"], default=None)


class SweepSummary(Callback):
    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        write_summary(Path(config.hydra.sweep.dir))
