"""``imagine plugins``: what is loaded, from which distribution, and what it registered."""

from __future__ import annotations

import argparse
from collections import defaultdict

from rich.table import Table

from imagine_core.console import err, out
from imagine_core.errors import debug_enabled
from imagine_core.plugins import get_plugins


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List every plugin of the entry-point group 'imagine' and what it registered; "
        "with --debug, the tracebacks of plugins that failed to load."
    )


def _options(dirs: list[str]) -> list[str]:
    """The config group options in a plugin's config folders, as ``group=option``."""
    from imagine_core.config.compose import source_dir

    found = []
    for entry in dirs:
        base = source_dir(entry if "://" in entry else "file://" + entry)
        if base is not None:
            found += [f"{p.parent.name}={p.stem}" for p in sorted(base.glob("*/*.yaml"))]
    return found


def run(args: argparse.Namespace) -> int:
    loaded = get_plugins()
    table = Table(title="imagine plugins", show_lines=True)
    for column in ("plugin", "distribution", "version", "components", "hooks", "config groups"):
        table.add_column(column, overflow="fold")
    for info in loaded.plugins:
        by_kind: dict[str, list[str]] = defaultdict(list)
        for record in loaded.registry.by_plugin(info.name):
            label = record.name + (f" ({record.config_type_name})" if record.config_type else "")
            by_kind[record.kind].append(label)
        components = "\n".join(f"{k}: {', '.join(v)}" for k, v in sorted(by_kind.items()))
        groups = "\n".join(_options(loaded.config_dirs.get(info.name, [])))
        module = loaded.manager.get_plugin(info.name)
        implemented = sorted(
            n.removeprefix("imagine_")
            for n in dir(module)
            if n.startswith("imagine_") and callable(getattr(module, n))
        )
        table.add_row(
            info.name,
            info.distribution,
            info.version,
            components or "-",
            "\n".join(implemented) or "-",
            groups or "-",
        )
    out.print(table)
    if loaded.failed:
        failed = Table(title="plugins that failed to load (skipped)", title_style="bold red")
        for column in ("plugin", "distribution", "version", "reason"):
            failed.add_column(column, overflow="fold")
        for f in loaded.failed:
            failed.add_row(f.name, f.distribution, f.version, f.reason)
        out.print(failed)
        if debug_enabled():
            for f in loaded.failed:
                err.print(f"[bold]{f.name}[/bold]\n{f.detail}", markup=True)
    if loaded.disabled:
        out.print(f"disabled by IMAGINE_DISABLE_PLUGINS: {', '.join(loaded.disabled)}")
    out.print(f"{len(loaded.plugins)} plugins, {len(loaded.registry)} components")
    return 0
