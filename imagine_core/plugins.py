"""Loads plugins from the entry-point group ``imagine``: bundled and third-party alike.

A plugin that fails to import (or to register) is reported with its
distribution and skipped, so one broken install never takes the CLI down — whatever
it raises, ``sys.exit()`` and ``KeyboardInterrupt`` included (a real Ctrl-C still
stops). A third-party plugin whose entry-point name is a bundled plugin's is refused,
naming both; the bundled one stays. ``IMAGINE_DISABLE_PLUGINS=a,b`` blocks plugins by
entry-point name.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from imagine_core import hookspecs
from imagine_core.errors import ImagineError, PluginConflictError, PluginError, did_you_mean
from imagine_core.registry import Registry

GROUP = "imagine"
DISABLE_ENV = "IMAGINE_DISABLE_PLUGINS"
BUNDLED = "imagine-ocr"  # the distribution whose plugins are the bundled ones
# What a plugin's code may raise without taking the CLI down.
CONTAINED = (Exception, SystemExit, KeyboardInterrupt)


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
        for result in self.call("imagine_reads", list_of=str):
            patterns.extend(result or [])
        return patterns

    def call(self, hook: str, list_of: type | None = None, **kwargs: object) -> list:
        """Every plugin's answer to ``hook``, one plugin at a time, so that one whose hook
        raises — or, with ``list_of``, answers anything but None or a list of those — is
        named (PluginError, exit 2) instead of ending in a traceback."""
        return [result for _, result in self.answers(hook, list_of, **kwargs)]

    def answers(
        self, hook: str, list_of: type | None = None, **kwargs: object
    ) -> list[tuple[str, Any]]:
        """:meth:`call`'s answers with the name of the plugin that gave each."""
        results = []
        for impl in reversed(getattr(self.manager.hook, hook).get_hookimpls()):
            fix = (
                f"update or fix the plugin, or disable it: {DISABLE_ENV}={impl.plugin_name} "
                "(--debug shows the traceback)"
            )
            try:
                args = [kwargs[name] for name in impl.argnames]  # an impl may take fewer
                result = _contained(lambda: impl.function(*args))  # noqa: B023
            except ImagineError:
                raise
            except UserInterrupt:
                raise
            except CONTAINED as exc:
                raise PluginError(
                    f"its hook {hook} failed ({_reason(exc)})",
                    where=f"plugin {impl.plugin_name}",
                    fix=fix,
                ) from exc
            if list_of is not None and not _is_list_of(result, list_of):
                raise PluginError(
                    f"its hook {hook} returned {_short(result)}, not a list of {list_of.__name__}",
                    where=f"plugin {impl.plugin_name}",
                    fix=fix,
                )
            results.append((impl.plugin_name, result))
        return results


def _is_list_of(result: object, kind: type) -> bool:
    return result is None or (
        isinstance(result, list | tuple) and all(isinstance(r, kind) for r in result)
    )


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _dist(ep: EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "<unknown distribution>", ""
    return dist.metadata["Name"], dist.version


def _unknown_hooks(module: ModuleType) -> list[str]:
    """Functions named like hooks that pluggy would pass over in silence: names no hook
    has, and hooks without the ``@hookimpl`` mark."""
    known = {n for n in dir(hookspecs) if n.startswith("imagine_")}
    found = []
    for attr in dir(module):
        if not attr.startswith("imagine_") or not callable(getattr(module, attr)):
            continue
        if attr not in known:
            hint = did_you_mean(attr, known)
            found.append(attr + (f" ({hint})" if hint else ""))
        elif not hasattr(getattr(module, attr), f"{hookspecs.PROJECT}_impl"):
            found.append(f"{attr} (not marked: decorate it with @imagine_core.hookimpl)")
    return found


def _own_hook(manager: pluggy.PluginManager, hook: str, name: str) -> Callable[..., Any] | None:
    """Plugin ``name``'s implementation of ``hook``, as pluggy registered it."""
    for impl in getattr(manager.hook, hook).get_hookimpls():
        if impl.plugin_name == name:
            return impl.function
    return None


def _reason(exc: BaseException) -> str:
    lines = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _failure(name: str, dist: tuple[str, str], exc: BaseException) -> PluginFailure:
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return PluginFailure(name, dist[0], dist[1], _reason(exc), detail)


@contextlib.contextmanager
def _real_interrupts() -> Iterator[None]:
    """Around a plugin's code: a Ctrl-C the user presses still stops the command, while
    a KeyboardInterrupt the plugin raises itself is contained like any other error."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []

    def handler(signum: int, frame: object) -> None:
        pressed.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    except KeyboardInterrupt:
        if pressed:
            raise UserInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)


class UserInterrupt(KeyboardInterrupt):
    """A Ctrl-C pressed while a plugin's code ran: not the plugin's failure. Every
    ``except CONTAINED`` lets it through first (``except UserInterrupt: raise``), so it
    reaches the CLI, which exits 130."""


def _contained(call: Callable[[], object]) -> object:
    """``call()``; a real Ctrl-C comes out as UserInterrupt, whatever the plugin did."""
    with _real_interrupts():
        return call()


def _bundled_first(points: list[EntryPoint]) -> list[EntryPoint]:
    """By name, the bundled distribution's entry point first among those of one name."""
    return sorted(points, key=lambda e: (e.name, _dist(e)[0] != BUNDLED))


def load_plugins() -> LoadedPlugins:
    """Discover, import and register every plugin; never raises for a broken plugin.

    Raises PluginConflictError when two distributions register the same component.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    loaded = LoadedPlugins(manager=manager, registry=Registry())
    blocked = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}

    seen: dict[str, str] = {}
    for ep in _bundled_first(list(entry_points(group=GROUP))):
        dist = _dist(ep)
        if ep.name in blocked:
            manager.set_blocked(ep.name)  # never imported, and refused if registered later
            loaded.disabled.append(ep.name)
            continue
        if ep.name in seen:
            if seen[ep.name] == dist[0]:
                continue  # the same distribution seen twice on sys.path
            loaded.failed.append(_clash(ep.name, dist, seen[ep.name]))
            continue
        seen[ep.name] = dist[0]
        module = _guarded(loaded, ep.name, dist, lambda: _imported(manager, ep))  # noqa: B023
        if module is None:  # a broken plugin must not break the CLI
            continue
        dirs = _config_dirs(loaded, ep.name, dist)
        if dirs is None or not _register_components(loaded, ep.name, dist):
            manager.unregister(module)
            continue
        loaded.plugins.append(PluginInfo(ep.name, dist[0], dist[1], module.__name__))
        loaded.config_dirs[ep.name] = dirs
    return loaded


def _imported(manager: pluggy.PluginManager, ep: EntryPoint) -> ModuleType:
    module = ep.load()
    unknown = _unknown_hooks(module)
    if unknown:
        raise TypeError("unknown hook(s): " + ", ".join(unknown))
    manager.register(module, name=ep.name)
    return module


def _guarded(loaded: LoadedPlugins, name: str, dist: tuple[str, str], call: Callable) -> Any:
    """``call()``, contained: where it raises, the plugin is failed (named, with its
    distribution) and the answer is None. A real Ctrl-C and a conflict still stop."""
    try:
        return _contained(call)
    except (UserInterrupt, PluginConflictError):
        raise
    except CONTAINED as exc:
        loaded.failed.append(_failure(name, dist, exc))
        return None


def _clash(name: str, dist: tuple[str, str], holder: str) -> PluginFailure:
    whose = "the bundled plugin's" if holder == BUNDLED else f"that of distribution {holder}"
    return PluginFailure(
        name,
        dist[0],
        dist[1],
        f"the plugin name {name!r} is {whose}; {dist[0]} must name its entry point "
        "otherwise (not loaded)",
    )


def _config_dirs(loaded: LoadedPlugins, name: str, dist: tuple[str, str]) -> list[str] | None:
    """The plugin's config folders; None (and the plugin failed) when its hook raises."""
    hook = _own_hook(loaded.manager, "imagine_config_dirs", name)
    if hook is None:
        return []
    return _guarded(loaded, name, dist, lambda: [_config_dir(d) for d in (hook() or [])])


def _config_dir(entry: object) -> str:
    """A config folder a plugin names, checked now: Hydra would otherwise fail on it in
    the middle of composing every command's config (found by bench_fuzz)."""
    if not isinstance(entry, str | Path):
        raise TypeError(f"a config folder must be a string, not {_short(entry)}")
    text = str(entry)
    if text.startswith("pkg://"):
        package = text[len("pkg://") :].replace("/", ".")
        try:
            found = importlib.util.find_spec(package) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise ModuleNotFoundError(f"its config folder {text}: no package {package!r}")
    elif not Path(text.removeprefix("file://")).is_dir():
        raise FileNotFoundError(f"its config folder {text} is no folder")
    return text


def _register_components(loaded: LoadedPlugins, name: str, dist: tuple[str, str]) -> bool:
    """Call the plugin's ``imagine_register``, crediting what it adds to the plugin;
    False (and the plugin failed) when it raises."""
    hook = _own_hook(loaded.manager, "imagine_register", name)
    if hook is None:
        return True

    def register() -> bool:
        with loaded.registry.registering(name, dist[0]):
            hook(registry=loaded.registry)
        return True

    return bool(_guarded(loaded, name, dist, register))


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
