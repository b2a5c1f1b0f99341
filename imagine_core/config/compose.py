"""Compose the pipeline with Hydra: config groups, ``pipeline=FILE``, overrides, short keys.

Hydra errors (unknown option, unknown key, bad override, YAML syntax, missing
value) come back as one ConfigError saying where and how to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from imagine_core.config import short_keys
from imagine_core.config.locations import conf_dir, register_resolvers
from imagine_core.config.schema_paths import describe_key
from imagine_core.errors import ConfigError, did_you_mean

# Which pipeline sections a config group writes: with pipeline=FILE, a group
# chosen on the command line replaces these sections of the file.
GROUP_SECTIONS = {
    "model": ("model",),
    "train": ("train_config",),
    "eval": ("eval_config",),
    "dataset": ("train_input_reader", "eval_input_reader"),
    "hardware": ("hardware",),
    "export": ("export",),
}
CONFIG_NAME = "config"


@dataclass
class Composed:
    """A composed configuration and what is needed to explain it."""

    data: dict[str, Any]  # every top-level key, resolved, as plain data
    overrides: list[str]
    sources: list[tuple[str, Path]] = field(default_factory=list)  # (package, yaml file)
    pipeline_file: Path | None = None
    file_keys: set[str] = field(default_factory=set)  # sections that came from pipeline_file
    applied: list[str] = field(default_factory=list)  # what the short keys changed

    @property
    def sections(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k not in short_keys.app_keys()}

    def yaml(self) -> str:
        return yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True)

    def origin(self, path: str) -> str:
        """Where a dotted key came from: a command-line override or file:line."""
        return find_origin(self, path)


def prepare_overrides(overrides: list[str]) -> list[str]:
    """With ``pipeline=FILE``, dotted overrides become ``++key=value``.

    They are meant for the file, whose keys the groups need not have; forcing them
    through Hydra keeps it from refusing keys the groups do not set. They are
    applied again on top of the file's sections (:func:`finish`).
    """
    if not any(o.startswith("pipeline=") for o in overrides):
        return overrides
    prepared = []
    for override in overrides:
        key = override.split("=", 1)[0]
        if "=" in override and "." in key and not key.lstrip("+").startswith("hydra."):
            override = "++" + override.lstrip("+")
        prepared.append(override)
    return prepared


def compose(
    overrides: list[str],
    *,
    config_name: str = CONFIG_NAME,
    primary_dir: Path | None = None,
    extra_dirs: tuple[Path, ...] = (),
) -> Composed:
    """Compose with Hydra's compose API (for every command, and before ``imagine run``).

    ``primary_dir``, ``config_name`` and ``extra_dirs`` are what Hydra's ``--config-path``,
    ``--config-name`` and ``--config-dir`` change, so ``imagine run`` checks what Hydra
    will compose; the extra folders go in as ``hydra.searchpath``, Hydra's public way.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    register_resolvers()
    short_keys.store()
    # Hydra's compose API takes absolute folders only (`-cd confs` is relative to here).
    folders = tuple(Path(d).absolute() for d in (primary_dir or conf_dir(), *extra_dirs))
    missing = [d for d in folders if not d.is_dir()]
    if missing:
        raise ConfigError(
            f"config folder {str(missing[0])!r} not found",
            where="command line",
            fix="give an existing folder to --config-dir / --config-path",
        )
    # The compose API finds the primary config in its own folder only; Hydra looks along
    # the search path, so the first folder that holds it is the one composition starts in.
    primary = next((d for d in folders if (d / f"{config_name}.yaml").is_file()), folders[0])
    rest = tuple(d for d in folders if d != primary)
    overrides = _with_search_dirs(prepare_overrides(overrides), rest if extra_dirs else ())
    with initialize_config_dir(config_dir=str(primary), version_base="1.3", job_name="imagine"):
        try:
            cfg = hydra_compose(config_name, overrides=overrides)
        except Exception as exc:
            raise hydra_error(exc, overrides) from exc
        sources = _sources(overrides, config_name)
    return finish(cfg, overrides, sources)


def _with_search_dirs(overrides: list[str], dirs: tuple[Path, ...]) -> list[str]:
    """Add ``dirs`` to (or as) the ``hydra.searchpath`` override."""
    if not dirs:
        return overrides
    from hydra.core.override_parser.overrides_parser import OverridesParser

    given: list[str] = []
    rest = []
    for text in overrides:
        if text.split("=", 1)[0].lstrip("+") == "hydra.searchpath":
            given = [str(p) for p in OverridesParser.create().parse_override(text).value()]
        else:
            rest.append(text)
    paths = [f"file://{d.resolve()}" for d in dirs] + given
    quoted = ",".join("'" + p.replace("\\", "\\\\").replace("'", "\\'") + "'" for p in paths)
    return [*rest, f"hydra.searchpath=[{quoted}]"]


def finish(cfg: DictConfig, overrides: list[str], sources: list[tuple[str, Path]]) -> Composed:
    """Apply ``pipeline=FILE`` and the short keys, then resolve to plain data."""
    if "hydra" in cfg:
        cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    composed = Composed(data={}, overrides=overrides, sources=sources)
    pipeline_file = OmegaConf.select(cfg, "pipeline", throw_on_missing=False)
    if pipeline_file:
        cfg = _start_from_file(composed, cfg, Path(str(pipeline_file)))
    composed.applied = short_keys.apply(cfg)
    try:
        data = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except OmegaConfBaseException as exc:
        raise omegaconf_error(exc) from exc
    assert isinstance(data, dict)
    composed.data = {str(k): v for k, v in data.items()}
    return composed


def _start_from_file(composed: Composed, cfg: DictConfig, path: Path) -> DictConfig:
    """The file is the base; groups named on the command line and dotted overrides win."""
    from imagine_core.config.convert import message_to_dict, read_text_file
    from imagine_core.schema import pipeline_class

    base = message_to_dict(read_text_file(path, pipeline_class()))
    if not base:  # empty, or comments only: the defaults would run in its name
        raise ConfigError(
            "the pipeline file sets nothing (empty, or comments only)",
            where=str(path),
            fix="give a pipeline.config that sets at least the model, or leave pipeline= "
            "out to run the defaults",
        )
    composed.pipeline_file = path
    composed.file_keys = set(base)
    chosen = {o.split("=", 1)[0].lstrip("+~") for o in composed.overrides if "=" in o}
    for group, sections in GROUP_SECTIONS.items():
        for section in sections:
            if (group in chosen or section not in base) and section in cfg:
                base[section] = cfg[section]
    for key in short_keys.app_keys():
        if key in cfg:
            base[key] = cfg[key]
    result = OmegaConf.create(base)
    for override in _dotted_overrides(composed.overrides):
        _apply(result, override)
    return result


def _dotted_overrides(overrides: list[str]) -> list[Any]:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    top = short_keys.app_keys()
    return [o for o in parsed if "." in o.key_or_group and o.key_or_group.split(".")[0] not in top]


def _apply(cfg: DictConfig, override: Any) -> None:
    key = override.key_or_group
    if override.is_delete():
        parent, _, leaf = key.rpartition(".")
        node = OmegaConf.select(cfg, parent) if parent else cfg
        if node is not None and leaf in node:
            del node[leaf]
        return
    OmegaConf.update(cfg, key, override.value(), merge=True, force_add=True)


def _sources(overrides: list[str], config_name: str) -> list[tuple[str, Path]]:
    """The YAML files Hydra used, in merge order, with the package each went to."""
    try:
        from hydra.core.global_hydra import GlobalHydra
        from hydra.core.override_parser.overrides_parser import OverridesParser
        from hydra.types import RunMode

        loader = GlobalHydra.instance().config_loader()
        defaults = loader.compute_defaults_list(config_name, overrides, RunMode.RUN)
        dirs = [e.path for e in loader.get_search_path().get_path() if e.path]
        for override in OverridesParser.create().parse_overrides(overrides):
            if override.key_or_group == "hydra.searchpath":
                dirs[1:1] = [str(p) for p in override.value()]  # after the primary folder
        folders = [d for d in (source_dir(p) for p in dirs) if d is not None]
        found = []
        for d in defaults.defaults:
            if not d.config_path or d.config_path.startswith("hydra/"):
                continue
            for folder in folders:
                file = folder / f"{d.config_path}.yaml"
                if file.is_file():
                    found.append((d.package or "", file))
                    break
        return found
    except Exception:  # provenance is a courtesy: never fail because of it
        return []


def source_dir(path: str) -> Path | None:
    if path.startswith("file://"):
        return Path(path[len("file://") :])
    if path.startswith("pkg://"):
        import importlib.util

        spec = importlib.util.find_spec(path[len("pkg://") :].replace("/", "."))
        if spec and spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations)))
    return None


def find_origin(composed: Composed, path: str) -> str:
    clean = re.sub(r"\[\d+\]", "", path)
    for override in reversed(composed.overrides):
        key = override.split("=", 1)[0].lstrip("+~")
        if "." not in key and (key in GROUP_SECTIONS or key not in composed.data):
            continue  # a group choice (model=…): the YAML files below say more
        if clean == key or clean.startswith(key + ".") or key.startswith(clean + "."):
            return f"command line: {override}"
    top = clean.split(".")[0]
    if composed.pipeline_file and top in composed.file_keys:
        return str(composed.pipeline_file)
    partial = ""
    for package, file in reversed(composed.sources):
        prefix = package + "." if package else ""
        if package and not (clean == package or clean.startswith(prefix)):
            continue
        line, complete = _line_of(file, path[len(prefix) :] if package else path)
        if line and complete:
            return f"{file}:{line}"
        if line and not partial:
            partial = f"{file}:{line}"
    return partial


def _line_of(file: Path, path: str) -> tuple[int | None, bool]:
    """The line of ``a.b[1].c`` in a YAML file (complete), or of its deepest key there."""
    try:
        node = yaml.compose(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None, False
    line = None
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if token.startswith("["):
            index = int(token[1:-1])
            if not isinstance(node, yaml.SequenceNode) or index >= len(node.value):
                return line, False
            node = node.value[index]
            line = node.start_mark.line + 1
            continue
        if not isinstance(node, yaml.MappingNode):
            return line, False
        for key, value in node.value:
            if key.value == token:
                node, line = value, key.start_mark.line + 1
                break
        else:
            return line, False
    return line, True


# --- turning Hydra's and OmegaConf's exceptions into one message --------------------


def hydra_error(exc: Exception, overrides: list[str]) -> ConfigError:
    from hydra.errors import ConfigCompositionException, MissingConfigException

    text = str(exc)
    if exc.__cause__ is not None:
        text += "\n" + str(exc.__cause__)
    if isinstance(exc, yaml.YAMLError) or isinstance(exc.__cause__, yaml.YAMLError):
        return yaml_error(exc.__cause__ if isinstance(exc.__cause__, yaml.YAMLError) else exc)
    if isinstance(exc, MissingConfigException) and text.startswith("Cannot find primary config"):
        folders = re.findall(r"path=(file://\S+)", text)
        return ConfigError(
            f"there is no config named {text.split(chr(39))[1]!r}",
            where="command line: --config-name",
            fix="name a .yaml file (without .yaml) in "
            + (", ".join(folders) or "the config folders")
            + ", or add its folder with --config-dir",
        )
    if isinstance(exc, MissingConfigException):
        return _missing_option(exc, text)
    if isinstance(exc, ConfigCompositionException):
        match = re.search(r"An item is already at '([^']+)'", text)
        if match:
            key = match.group(1)
            given = next((o for o in overrides if o.lstrip("+").startswith(key + "=")), key)
            return ConfigError(
                f"{key!r} is already set by the groups",
                where=f"command line: {given}",
                fix=f"drop the '+': {given.lstrip('+')}",
            )
        match = re.search(r"Could not (?:override|append to|delete from) '([^']+)'", text)
        if match:
            return _override_error(match.group(1), text, overrides)
        cause = exc.__cause__
        if isinstance(cause, OmegaConfBaseException):
            return omegaconf_error(cause)
    if type(exc).__name__ == "OverrideParseException":
        return ConfigError(
            text.splitlines()[0] if text else "cannot parse the override",
            where="command line",
            fix="overrides are key=value, +key=value (add), ~key (delete); quote values "
            "with spaces or brackets",
        )
    return ConfigError(text.splitlines()[0] if text else type(exc).__name__, where="command line")


def _missing_option(exc: Exception, text: str) -> ConfigError:
    """``model=nope``, or a group no loaded plugin gives options of (its plugin is off)."""
    match = re.search(r"Could not find '([^']+)'", text)
    options = exc.options or []
    missing = match.group(1) if match else text
    group, _, name = missing.rpartition("/")
    if not options and group:
        from imagine_core.plugins import get_plugins

        return ConfigError(
            f"no loaded plugin provides options of the config group {group!r} "
            f"(wanted: {missing!r})",
            where="command line",
            fix="install or enable the plugin that does (the bundled ones: "
            f"`imagine plugins` lists them); {get_plugins().describe()}",
        )
    hint = did_you_mean(name, options) or ""
    return ConfigError(
        f"there is no config option {missing!r}",
        where="command line",
        fix=(hint + " " if hint else "")
        + (f"options: {', '.join(options)}" if options else "see `imagine config show --help`"),
    )


def _override_error(key: str, text: str, overrides: list[str]) -> ConfigError:

    given = next((o for o in overrides if o.split("=", 1)[0].lstrip("+~") == key), key)
    if "not in struct" in text or "Key '" in text:
        known, hint = describe_key(key)
        if known:
            return ConfigError(
                f"the groups do not set {key!r}, so it cannot be overridden",
                where=f"command line: {given}",
                fix=f"add it with +{given.lstrip('+')}",
            )
        return ConfigError(f"unknown key {key!r}", where=f"command line: {given}", fix=hint)
    return ConfigError(text.splitlines()[0], where=f"command line: {given}")


def omegaconf_error(exc: OmegaConfBaseException) -> ConfigError:
    key = getattr(exc, "full_key", "") or ""
    name = type(exc).__name__
    if name == "MissingMandatoryValue":
        return ConfigError(
            f"{key!r} has no value (it is ??? in the config)",
            where=key,
            fix=f"set it on the command line: {key}=<value>",
        )
    if name in ("InterpolationResolutionError", "InterpolationKeyError"):
        return ConfigError(
            f"cannot resolve an interpolation: {exc.msg or str(exc).splitlines()[0]}",
            where=key or None,
            fix="check the ${...} reference",
        )
    return ConfigError(getattr(exc, "msg", str(exc)), where=key or None)


def yaml_error(exc: BaseException) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = None
    if mark is not None:
        where = f"{mark.name}:{mark.line + 1}:{mark.column + 1}"
    return ConfigError(
        f"YAML syntax error: {problem}",
        where=where,
        fix="fix the YAML at that line (indentation, ':' after keys, quotes)",
    )
