"""``imagine plugins``: what is loaded, from which distribution, and what it registered."""

from __future__ import annotations

import argparse
from collections import defaultdict

from rich.table import Table

from imagine_core.console import err, out
from imagine_core.errors import debug_enabled
from imagine_core.plugins import LoadedPlugins, get_plugins


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List every plugin of the entry-point group 'imagine' and what it registered; "
        "with --debug, the tracebacks of plugins that failed to load. Every command a "
        "plugin registers is built and checked against the Command contract; one that "
        "does not fit is listed (exit 2)."
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
    return _unfit_commands(loaded)


def _unfit_commands(loaded: LoadedPlugins) -> int:
    """Build every registered command (a factory call, nothing heavy: a Command imports
    its work when it runs) and list those that do not fit the contract, or fail to build:
    `imagine WORD` would refuse them."""
    from imagine_core.build import make
    from imagine_core.errors import EXIT_USER_ERROR, ConfigError

    unfit = []
    for name in loaded.registry.names("command"):
        record = loaded.registry.get("command", name)
        try:
            make(record)
        except ConfigError as exc:
            unfit.append((record, exc.what))
        except Exception as exc:  # the plugin's own bug, named with it
            unfit.append((record, f"its factory failed: {type(exc).__name__}: {exc}"))
    if not unfit:
        return 0
    table = Table(
        title="commands that do not fit (imagine WORD refuses them)", title_style="bold red"
    )
    for column in ("command", "plugin", "distribution", "problem"):
        table.add_column(column, overflow="fold")
    for record, problem in unfit:
        table.add_row(record.name, record.plugin, record.distribution, problem)
    out.print(table)
    return EXIT_USER_ERROR
