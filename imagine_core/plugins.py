"""Loads plugins from the entry-point group ``imagine``: bundled and third-party alike.

A plugin that fails to import (or to register) is reported with its
distribution and skipped, so one broken install never takes the CLI down.
``IMAGINE_DISABLE_PLUGINS=a,b`` blocks plugins by entry-point name.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

import pluggy

from imagine_core import hookspecs
from imagine_core.errors import PluginConflictError, did_you_mean
from imagine_core.registry import Registry

GROUP = "imagine"
DISABLE_ENV = "IMAGINE_DISABLE_PLUGINS"


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    module: str


@dataclass(frozen=True)
class PluginFailure:
    name: str
    distribution: str
    version: str
    reason: str
    detail: str = ""  # the traceback, shown with --debug


@dataclass
class LoadedPlugins:
    manager: pluggy.PluginManager
    registry: Registry
    plugins: list[PluginInfo] = field(default_factory=list)
    failed: list[PluginFailure] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    config_dirs: dict[str, list[str]] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [p.name for p in self.plugins]

    def describe(self) -> str:
        """One line naming the loaded (and failed) plugins: for error messages."""
        text = ", ".join(f"{p.name} ({p.distribution} {p.version})" for p in self.plugins)
        text = f"loaded plugins: {text or 'none'}"
        if self.failed:
            text += "; failed: " + ", ".join(f"{f.name} ({f.reason})" for f in self.failed)
        return text

    def reads(self) -> list[str]:
        patterns: list[str] = []
        for result in self.manager.hook.imagine_reads():
            patterns.extend(result or [])
        return patterns


def _dist(ep: EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "<unknown distribution>", ""
    return dist.metadata["Name"], dist.version


def _unknown_hooks(module: ModuleType) -> list[str]:
    known = {n for n in dir(hookspecs) if n.startswith("imagine_")}
    found = []
    for attr in dir(module):
        if attr.startswith("imagine_") and attr not in known and callable(getattr(module, attr)):
            hint = did_you_mean(attr, known)
            found.append(attr + (f" ({hint})" if hint else ""))
    return found


def _failure(name: str, dist: tuple[str, str], exc: BaseException) -> PluginFailure:
    reason = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return PluginFailure(name, dist[0], dist[1], reason, detail)


def load_plugins() -> LoadedPlugins:
    """Discover, import and register every plugin; never raises for a broken plugin.

    Raises PluginConflictError when two distributions register the same component.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    loaded = LoadedPlugins(manager=manager, registry=Registry())
    blocked = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}

    seen: dict[str, str] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        dist = _dist(ep)
        if ep.name in blocked:
            loaded.disabled.append(ep.name)
            continue
        if ep.name in seen:
            if seen[ep.name] == dist[0]:
                continue  # the same distribution seen twice on sys.path
            loaded.failed.append(
                PluginFailure(
                    ep.name,
                    dist[0],
                    dist[1],
                    f"the plugin name {ep.name!r} is taken by distribution {seen[ep.name]}",
                )
            )
            continue
        seen[ep.name] = dist[0]
        try:
            module = ep.load()
            unknown = _unknown_hooks(module)
            if unknown:
                raise TypeError("unknown hook(s): " + ", ".join(unknown))
            manager.register(module, name=ep.name)
        except Exception as exc:  # a broken plugin must not break the CLI
            loaded.failed.append(_failure(ep.name, dist, exc))
            continue
        if not _register_components(loaded, ep.name, dist, module):
            manager.unregister(module)
            continue
        loaded.plugins.append(PluginInfo(ep.name, dist[0], dist[1], module.__name__))
        dirs = getattr(module, "imagine_config_dirs", None)
        loaded.config_dirs[ep.name] = list(dirs() or []) if dirs else []
    return loaded


def _register_components(
    loaded: LoadedPlugins, name: str, dist: tuple[str, str], module: ModuleType
) -> bool:
    hook = getattr(module, "imagine_register", None)
    if hook is None:
        return True
    try:
        with loaded.registry.registering(name, dist[0]):
            hook(registry=loaded.registry)
    except PluginConflictError:
        raise
    except Exception as exc:
        loaded.failed.append(_failure(name, dist, exc))
        return False
    return True


_cache: LoadedPlugins | None = None


def get_plugins() -> LoadedPlugins:
    """The plugins of this process, loaded once."""
    global _cache
    if _cache is None:
        _cache = load_plugins()
    return _cache


def reset() -> None:
    """Forget the loaded plugins (tests that change the environment)."""
    global _cache
    _cache = None
