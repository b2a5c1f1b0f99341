"""Check a composed pipeline against the schema, the registry and the disk."""

from __future__ import annotations

import fnmatch
import glob
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from imagine_core.build import chosen_component, instantiate, require_fit
from imagine_core.config.compose import Composed
from imagine_core.config.convert import dict_to_message
from imagine_core.config.report import Problem, ValidationReport
from imagine_core.config.schema_paths import set_leaf_paths
from imagine_core.config.short_keys import app_keys
from imagine_core.errors import ConfigError, ImagineError, did_you_mean
from imagine_core.plugins import LoadedPlugins
from imagine_core.schema import pipeline_class, proto_module

# The core itself reads these (composition and component choice).
CORE_READS = ("hardware.type", "export.type", "*.plugin.name")


def build_pipeline(composed: Composed, plugins: LoadedPlugins) -> tuple[Message, list[str]]:
    """The typed pipeline from composed data, with the short keys applied and fitted to
    its hardware by the plugins (``imagine_fit_pipeline``); returns it and what changed."""
    sections = composed.sections
    unknown = [k for k in sections if k not in pipeline_class().DESCRIPTOR.fields_by_name]
    if unknown:
        names = list(pipeline_class().DESCRIPTOR.fields_by_name) + list(app_keys())
        key = unknown[0]
        raise ConfigError(
            f"unknown top-level key {key!r}",
            where=composed.origin(key) or key,
            fix=did_you_mean(key, names) or f"top-level keys: {', '.join(sorted(names))}",
        )
    pipeline = dict_to_message(
        sections, pipeline_class(), registry=plugins.registry, origin=composed.origin
    )
    applied = list(composed.applied)
    for lines in plugins.call(
        "imagine_fit_pipeline",
        list_of=str,
        pipeline=pipeline,
        given=lambda path: _given(composed, path),
    ):
        applied.extend(lines or [])
    return pipeline, applied


def _given(composed: Composed, path: str) -> bool:
    """Whether the user set ``path`` (command line, ``pipeline=FILE``), not a group."""
    origin = composed.origin(path)
    file = composed.pipeline_file
    return origin.startswith("command line") or (file is not None and origin == str(file))


def component_choices(message: Message, prefix: str = "") -> Iterator[tuple[str, str, str, bool]]:
    """(path, kind, name, free) of every component the pipeline chooses; ``free`` is true
    when the name is a string the user typed (worth a 'did you mean'), false when it is a
    schema alternative."""
    choice = chosen_component(message)
    if choice is not None:
        field, kind, name, free = choice
        yield (_join(prefix, field), kind, name, free)
    options = proto_module("options")
    for field, value in message.ListFields():
        path = _join(prefix, field.name)
        names_kind = field.GetOptions().Extensions[options.component_names]
        if names_kind and field.is_repeated:
            for i, name in enumerate(value):
                yield (f"{path}[{i}]", names_kind, name, True)
        elif names_kind:
            yield (path, names_kind, value, True)
        elif field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
            if field.message_type.full_name == "google.protobuf.Any":
                continue
            if field.is_repeated:
                for i, item in enumerate(value):
                    yield from component_choices(item, f"{path}[{i}]")
            else:
                yield from component_choices(value, path)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def path_fields(message: Message, prefix: str = "") -> Iterator[tuple[str, int, str]]:
    """(path, PathKind, value) of every path-valued field the pipeline sets."""
    options = proto_module("options")
    for field, value in message.ListFields():
        path = _join(prefix, field.name)
        kind = field.GetOptions().Extensions[options.path]
        if kind:
            values = list(value) if field.is_repeated else [value]
            for i, v in enumerate(values):
                if v:
                    yield (
                        f"{path}[{i}]" if len(values) > 1 or field.is_repeated else path,
                        kind,
                        v,
                    )
        elif (
            field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE
            and field.message_type.full_name != "google.protobuf.Any"
        ):
            items = value if field.is_repeated else [value]
            for i, item in enumerate(items):
                sub = f"{path}[{i}]" if field.is_repeated else path
                yield from path_fields(item, sub)


def out_of_bounds(message: Message, prefix: str = "") -> Iterator[Problem]:
    """Numbers set outside the bounds their field's options give (``minimum``,
    ``maximum``, ``above``), and NaN in any float field: refused before anything runs,
    not minutes into training (or, for a batch of a billion, never)."""
    for field, value in message.ListFields():
        path = _join(prefix, field.name)
        values = list(value) if field.is_repeated else [value]
        if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
            if field.message_type.full_name != "google.protobuf.Any":
                for i, item in enumerate(values):
                    yield from out_of_bounds(item, f"{path}[{i}]" if field.is_repeated else path)
            continue
        for i, number in enumerate(values):
            where = f"{path}[{i}]" if field.is_repeated else path
            broken = _bound_broken(field, number)
            if broken:
                yield Problem(where, f"{number} is {broken}", f"give a number {_bounds(field)}")


def _bound_broken(field: FieldDescriptor, number) -> str | None:
    if field.cpp_type not in _NUMBERS:
        return None
    if number != number:
        return "not a number (NaN)"
    low, high, above = _limits(field)
    if low is not None and number < low:
        return "below the smallest value this field takes"
    if high is not None and number > high:
        return "above the largest value this field takes"
    if above is not None and number <= above:
        return "too small for this field"
    return None


def _limits(field: FieldDescriptor) -> tuple[float | None, float | None, float | None]:
    """(minimum, maximum, above) of the field's options; None where it sets none."""
    options, schema = field.GetOptions(), proto_module("options")
    return tuple(
        options.Extensions[ext] if options.HasExtension(ext) else None
        for ext in (schema.minimum, schema.maximum, schema.above)
    )


def _bounds(field: FieldDescriptor) -> str:
    """The field's bounds in words: 'at least 0 and at most 1', 'above 0' …"""
    low, high, above = _limits(field)
    parts = [f"at least {low:g}" if low is not None else "",
             f"above {above:g}" if above is not None else "",
             f"at most {high:g}" if high is not None else ""]  # fmt: skip
    return " and ".join(p for p in parts if p) or "(not NaN)"


_NUMBERS = {
    FieldDescriptor.CPPTYPE_INT32, FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT32,
    FieldDescriptor.CPPTYPE_UINT64, FieldDescriptor.CPPTYPE_FLOAT, FieldDescriptor.CPPTYPE_DOUBLE,
}  # fmt: skip


_SHARDED = re.compile(r"^(?P<base>.+)@(?P<n>\d+)$")


def check_path(kind: int, value: str) -> str | None:
    """None when the path exists; else what is missing."""
    options = proto_module("options")
    p = Path(value).expanduser()
    if kind == options.FILE:
        return None if p.is_file() else f"file not found: {value}"
    if kind == options.DIRECTORY:
        return None if p.is_dir() else f"folder not found: {value}"
    if kind == options.SPLIT_DIRECTORY:
        held_out = p.name == "eval" and p.with_name("train").is_dir()
        return None if p.is_dir() or held_out else f"folder not found: {value}"
    if kind == options.CHECKPOINT:  # a checkpoint, a run folder or a shipped model's name
        from imagine_core.plugins import get_plugins

        found = Path(value + ".index").is_file() or p.is_file() or p.is_dir()
        found = found or value in get_plugins().registry.names("trained_model")
        return None if found else f"checkpoint not found: {value} (no {value}.index)"
    if kind == options.GLOB:
        match = _SHARDED.match(value)
        pattern = f"{match['base']}-?????-of-{int(match['n']):05d}" if match else value
        return None if glob.glob(str(Path(pattern).expanduser())) else f"no file matches: {value}"
    return None


def validate(
    composed: Composed, plugins: LoadedPlugins, *, check_paths: bool = True
) -> tuple[Message | None, ValidationReport]:
    """Everything ``imagine config validate`` reports. Schema errors raise ConfigError."""
    report = ValidationReport()
    pipeline, report.applied_knobs = build_pipeline(composed, plugins)
    registry = plugins.registry
    resolved_slots: set[str] = set()  # slots whose component is provided: it reads its params
    for path, kind, name, free in component_choices(pipeline):
        if registry.find(kind, name) is None:
            fix = (
                (registry.not_found(kind, name).fix or "") if free and registry.names(kind) else ""
            )
            report.missing_components.append(
                Problem(path, f"{kind} {name!r}", fix, composed.origin(path))
            )
        else:
            resolved_slots.add(re.sub(r"\[\d+\]", "", path).rsplit(".", 1)[0])
    if check_paths:
        for path, kind, value in path_fields(pipeline):
            missing = check_path(kind, value)
            if missing:
                report.missing_paths.append(
                    Problem(
                        path,
                        missing,
                        "point it at a real file (paths are relative to the current folder)",
                        composed.origin(path),
                    )
                )
    patterns = [*CORE_READS, *plugins.reads()]
    for leaf in set_leaf_paths(pipeline):
        if leaf.endswith(".params") and leaf.rsplit(".", 1)[0] in resolved_slots:
            continue
        if not any(fnmatch.fnmatchcase(leaf, p) for p in patterns):
            report.unread_fields.append(leaf)
    report.errors.extend(
        replace(problem, origin=_origin(composed, problem.path))
        for problem in out_of_bounds(pipeline)
    )
    if report.errors:  # building parts from numbers out of bounds fails in their code
        return pipeline, report
    report.errors.extend(misfits(pipeline, plugins))
    for problems in plugins.call("imagine_check_pipeline", list_of=Problem, pipeline=pipeline):
        report.errors.extend(problems or [])
    return pipeline, report


def _origin(composed: Composed, path: str) -> str:
    """Where a value came from; a short key of the command line (``batch_size=…``) set it
    when one of those applied names the path."""
    short = [line for line in composed.applied if line.endswith(f"-> {path}")]
    return f"command line: {short[-1].split(' -> ')[0]}" if short else composed.origin(path)


def misfits(pipeline: Message, plugins: LoadedPlugins) -> Iterator[Problem]:
    """Parts that do not fit what their meta-architecture (any component declaring
    ``needs``) uses of them: each part is created — cheap, its TensorFlow model comes
    from its ``build`` — and checked against the contract, naming what it lacks."""
    for path, kind, name, _ in component_choices(pipeline):
        record = plugins.registry.find(kind, name)
        if record is None or not record.needs:
            continue
        owner = _message_at(pipeline, re.sub(r"\.(type|plugin\.name)$", "", path))
        for field, contract in record.needs.items():
            slot, where = getattr(owner, field), f"{path}.{field}"
            choice = chosen_component(slot)
            part = choice and plugins.registry.find(choice[1], choice[2])
            if part is None:
                continue  # reported as a missing component
            try:
                require_fit(instantiate(part, slot, pipeline), part, contract)
            except ImagineError as exc:
                yield Problem(where, exc.what, exc.fix or "")


def _message_at(message: Message, path: str) -> Message:
    for name, index in re.findall(r"(\w+)(?:\[(\d+)\])?", path):
        message = getattr(message, name)
        message = message[int(index)] if index else message
    return message
