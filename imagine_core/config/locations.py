"""Where configuration lives: the bundled conf/ tree and imagine's cache folder."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from omegaconf import OmegaConf


def conf_dir() -> Path:
    """The folder of the bundled Hydra config tree (package ``imagine_conf``)."""
    spec = importlib.util.find_spec("imagine_conf")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the package imagine_conf (conf/) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def cache_dir() -> Path:
    """``$IMAGINE_CACHE``, else ``$XDG_CACHE_HOME/imagine``, else ``~/.cache/imagine``."""
    if os.environ.get("IMAGINE_CACHE"):
        return Path(os.environ["IMAGINE_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "imagine"


def run_name(overrides: str = "") -> str:
    """A run folder's name from its command line's overrides ('default' without any)."""
    name = overrides.replace("/", "_").replace("\\", "_").strip(".")
    return name[:200] or "default"


def register_resolvers() -> None:
    """``${imagine.cache:demo/train}``: a path in imagine's cache folder;
    ``${imagine.run_name:…}``: a run folder's name."""
    if not OmegaConf.has_resolver("imagine.cache"):
        OmegaConf.register_new_resolver(
            "imagine.cache", lambda sub="": str(cache_dir() / sub), use_cache=False
        )
    if not OmegaConf.has_resolver("imagine.run_name"):
        OmegaConf.register_new_resolver("imagine.run_name", run_name, use_cache=False)
