"""Where configuration lives: the bundled conf/ tree and imagine's cache folder."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from omegaconf import OmegaConf

from imagine_core.files import cache_dir


def conf_dir() -> Path:
    """The folder of the bundled Hydra config tree (package ``imagine_conf``)."""
    spec = importlib.util.find_spec("imagine_conf")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the package imagine_conf (conf/) is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


NAME_BYTES = 200  # a file system allows 255 bytes per name; room for a suffix or two


def run_name(overrides: str = "") -> str:
    """A run folder's name from its command line's overrides ('default' without any).
    A name too long for the file system is cut, and a hash of all the overrides added,
    so that two runs differing only past the cut never share (and resume) one folder."""
    name = overrides.replace("/", "_").replace("\\", "_").strip(".")
    if len(name.encode("utf-8", "surrogateescape")) <= NAME_BYTES:
        return name or "default"
    digest = hashlib.sha1(overrides.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    head = name.encode("utf-8", "surrogateescape")[: NAME_BYTES - 11]
    return head.decode("utf-8", "ignore") + "-" + digest


def register_resolvers() -> None:
    """``${imagine.cache:demo/train}``: a path in imagine's cache folder;
    ``${imagine.run_name:…}``: a run folder's name."""
    if not OmegaConf.has_resolver("imagine.cache"):
        OmegaConf.register_new_resolver(
            "imagine.cache", lambda sub="": str(cache_dir() / sub), use_cache=False
        )
    if not OmegaConf.has_resolver("imagine.run_name"):
        OmegaConf.register_new_resolver("imagine.run_name", run_name, use_cache=False)
