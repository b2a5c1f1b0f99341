"""Short top-level keys (``lr=0.003``, ``steps=500``) that plugins declare for sweeps.

A plugin names each key and the field it sets (hook ``imagine_short_keys``); the core
adds the keys to the config as ``null`` (a Hydra ConfigStore node that ``config.yaml``
lists in its defaults) and applies what was given before interpolations resolve.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from imagine_core.errors import ConfigError, ImagineError, PluginConflictError, PluginError
from imagine_core.hookspecs import ShortKey

NODE = "imagine_short_keys"  # the ConfigStore name config.yaml's defaults list
HELPERS = ("pipeline", "data_dir", "hydra")  # top-level keys that are no section either


def short_keys() -> dict[str, ShortKey]:
    """Every declared key by name; two plugins declaring one name, or a key named like a
    pipeline section, is an error naming the plugins (neither would win in silence)."""
    from imagine_core.plugins import get_plugins
    from imagine_core.schema import pipeline_class

    keys: dict[str, ShortKey] = {}
    owners: dict[str, str] = {}
    sections = pipeline_class().DESCRIPTOR.fields_by_name
    for plugin, declared in get_plugins().answers("imagine_short_keys", list_of=ShortKey):
        for key in declared or []:
            if key.name in owners or key.name in sections or key.name in HELPERS:
                raise _clash(key.name, plugin, owners.get(key.name))
            keys[key.name], owners[key.name] = key, plugin
    return keys


def _clash(name: str, plugin: str, owner: str | None) -> PluginConflictError:
    what = f"by plugins {owner!r} and {plugin!r}" if owner else f"by plugin {plugin!r}, but "
    return PluginConflictError(
        f"the short key {name!r} is declared {what}"
        + ("" if owner else "it is a top-level key of the config"),
        fix="rename the key in one plugin, or block one with IMAGINE_DISABLE_PLUGINS=<name>",
    )


def app_keys() -> tuple[str, ...]:
    """Top-level keys that are not pipeline sections: the short keys and helpers."""
    return (*short_keys(), *HELPERS)


def store() -> None:
    """Every declared short key as ``null`` in the ConfigStore node ``NODE``."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name=NODE, node={name: None for name in short_keys()})


def _given(cfg: DictConfig, key: str) -> Any:
    """The value of a short key, resolved: ``steps=${oops}`` is one message, not a traceback."""
    try:
        return cfg.get(key)
    except OmegaConfBaseException as exc:
        raise ConfigError(
            f"cannot resolve {key}: {str(exc).splitlines()[0]}",
            where=f"command line: {key}",
            fix="check the ${...} reference, or give a plain value",
        ) from None


def apply(cfg: DictConfig) -> list[str]:
    """Set the field of every short key given; return what changed (``lr=… -> path``)."""
    applied = []
    for key in short_keys().values():
        value = _given(cfg, key.name)
        if value is None:
            continue
        try:
            path, setting = key.target(value, cfg)
        except ImagineError:
            raise
        except Exception as exc:
            raise PluginError(
                f"the short key {key.name} failed ({type(exc).__name__}: {exc})",
                where=f"command line: {key.name}={value}",
                fix="update or fix the plugin that declares it (`imagine plugins`)",
            ) from exc
        OmegaConf.update(cfg, path, setting, force_add=True)
        applied.append(f"{key.name}={value} -> {path}")
    return applied
