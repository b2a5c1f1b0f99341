"""Plain data (composed YAML) <-> the protobuf pipeline, with errors that name the path.

``json_format.ParseDict`` does the conversion; the walk before it catches what a
user gets wrong (unknown keys, wrong types, two alternatives of a oneof) and says
where, with close names. A component's ``params`` are typed by the message its
plugin registered, looked up in the registry by the component's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pool, json_format, text_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from imagine_core import textproto
from imagine_core.config.report import Problem, raise_problems
from imagine_core.errors import ConfigError, did_you_mean
from imagine_core.registry import Registry
from imagine_core.schema import component_kind

ANY = "google.protobuf.Any"
COMPONENT = "imagine.protos.Component"
TYPE_URL = "type.googleapis.com/"
_INTS = {
    FieldDescriptor.CPPTYPE_INT32,
    FieldDescriptor.CPPTYPE_INT64,
    FieldDescriptor.CPPTYPE_UINT32,
    FieldDescriptor.CPPTYPE_UINT64,
}
_UNSIGNED = {FieldDescriptor.CPPTYPE_UINT32, FieldDescriptor.CPPTYPE_UINT64}

Origin = Callable[[str], str]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Walker:
    def __init__(self, registry: Registry | None, origin: Origin):
        self.registry = registry
        self.origin = origin
        self.problems: list[Problem] = []

    def problem(self, path: str, what: str, fix: str = "") -> None:
        self.problems.append(Problem(path, what, fix, self.origin(path)))

    def message(self, value: Any, descriptor: Descriptor, path: str, kind: str = "") -> dict:
        if not isinstance(value, Mapping):
            self.problem(path, f"expects a section ({descriptor.name}), got {value!r}")
            return {}
        fields = descriptor.fields_by_name
        out: dict[str, Any] = {}
        chosen: dict[str, str] = {}
        for key, item in value.items():
            if item is None:
                continue  # null leaves a field unset
            key = str(key)
            sub = _join(path, key)
            field = fields.get(key)
            if field is None:
                hint = did_you_mean(key, fields)
                self.problem(
                    sub,
                    f"unknown key {key!r} in {descriptor.name}",
                    hint or f"valid keys here: {', '.join(sorted(fields))}",
                )
                continue
            oneof = field.containing_oneof
            if oneof is not None:
                if oneof.name in chosen:
                    self.problem(
                        sub,
                        f"{chosen[oneof.name]!r} and {key!r} are both set, but only one of "
                        f"{', '.join(f.name for f in oneof.fields)} may be",
                        "keep one; to switch between alternatives choose another config "
                        "group option (e.g. model=ssd_mobilenet_v2) instead of merging",
                    )
                    continue
                chosen[oneof.name] = key
            out[key] = self.field(item, field, sub, descriptor, value, kind)
        return out

    def field(
        self,
        value: Any,
        field: FieldDescriptor,
        path: str,
        parent: Descriptor,
        siblings: Mapping,
        kind: str,
    ) -> Any:
        if field.is_repeated:
            if not isinstance(value, list | tuple):
                self.problem(path, f"expects a list, got {value!r}", f"write [{value!r}]")
                return []
            return [
                self.single(v, field, f"{path}[{i}]", parent, siblings, kind)
                for i, v in enumerate(value)
            ]
        return self.single(value, field, path, parent, siblings, kind)

    def single(
        self,
        value: Any,
        field: FieldDescriptor,
        path: str,
        parent: Descriptor,
        siblings: Mapping,
        kind: str,
    ) -> Any:
        if field.message_type is None:
            return self.scalar(value, field, path)
        sub = field.message_type
        if sub.full_name == ANY:
            key = "name" if parent.full_name == COMPONENT else "type"
            name = siblings.get(key) or _default(parent, key)
            return self.params(value, component_kind(parent) or kind, str(name), path)
        sub_kind = component_kind(sub) or (
            component_kind(parent) if sub.full_name == COMPONENT else ""
        )
        return self.message(value, sub, path, sub_kind)

    def params(self, value: Any, kind: str, name: str, path: str) -> dict:
        if not isinstance(value, Mapping):
            self.problem(path, f"expects a section of the {kind} {name!r}'s parameters")
            return {}
        value = {k: v for k, v in value.items() if k != "@type"}
        record = self.registry.find(kind, name) if self.registry else None
        if record is None:
            err = self.registry.not_found(kind, name) if self.registry else None
            self.problem(
                path,
                f"parameters are given for the {kind} {name!r}, but no loaded plugin provides "
                "it, so they cannot be checked",
                err.fix if err and err.fix else "install the plugin that provides it",
            )
            return {}
        if record.config_type is None:
            self.problem(path, f"the {kind} {name!r} takes no parameters", "remove 'params'")
            return {}
        out = self.message(value, record.config_type.DESCRIPTOR, path)
        out["@type"] = TYPE_URL + record.config_type.DESCRIPTOR.full_name
        return out

    def scalar(self, value: Any, field: FieldDescriptor, path: str) -> Any:
        cpp = field.cpp_type
        if cpp == FieldDescriptor.CPPTYPE_ENUM:
            names = [v.name for v in field.enum_type.values]
            if isinstance(value, str) and value in names:
                return value
            numbers = field.enum_type.values_by_number
            if isinstance(value, int) and not isinstance(value, bool) and value in numbers:
                return value
            hint = did_you_mean(str(value), names)
            self.problem(
                path, f"{value!r} is not one of {', '.join(names)}", hint or f"use one of {names}"
            )
            return names[0]
        if cpp == FieldDescriptor.CPPTYPE_BOOL:
            if isinstance(value, bool):
                return value
            return self.wrong(value, "true or false", path, False)
        if cpp in _INTS:
            if isinstance(value, bool) or not isinstance(value, int):
                return self.wrong(value, "a whole number", path, 0)
            if cpp in _UNSIGNED and value < 0:
                return self.wrong(value, "a whole number >= 0", path, 0)
            return value
        if cpp in (FieldDescriptor.CPPTYPE_FLOAT, FieldDescriptor.CPPTYPE_DOUBLE):
            if isinstance(value, bool) or not isinstance(value, int | float):
                return self.wrong(value, "a number", path, 0.0)
            if value != value or value in (float("inf"), float("-inf")):
                # json_format spells the non-finite floats as strings
                return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
            return value
        if cpp == FieldDescriptor.CPPTYPE_STRING:
            if not isinstance(value, str):
                return self.wrong(value, "a string", path, "", f"quote it: '{value}'")
            return value
        return value

    def wrong(self, value: Any, expected: str, path: str, default: Any, fix: str = "") -> Any:
        self.problem(path, f"expects {expected}, got {value!r} ({type(value).__name__})", fix)
        return default


def _default(descriptor: Descriptor, name: str) -> Any:
    field = descriptor.fields_by_name.get(name)
    return field.default_value if field is not None else ""


def dict_to_message(
    data: Mapping,
    message_class: type,
    *,
    registry: Registry | None,
    origin: Origin = lambda path: "",
    title: str = "the configuration does not fit the schema",
) -> Message:
    """Check ``data`` against the schema, then convert; raise one ConfigError listing all."""
    walker = _Walker(registry, origin)
    prepared = walker.message(data, message_class.DESCRIPTOR, "")
    raise_problems(walker.problems, title)
    message = message_class()
    try:
        json_format.ParseDict(prepared, message, descriptor_pool=descriptor_pool.Default())
    except json_format.ParseError as exc:  # the walk should have caught it; say it plainly
        raise ConfigError(str(exc), fix="check the value's type against the schema") from exc
    return message


def message_to_dict(message: Message) -> dict:
    """The inverse of :func:`dict_to_message`; ``params`` lose '@type' (the registry knows it)."""
    data = json_format.MessageToDict(
        message, preserving_proto_field_name=True, descriptor_pool=descriptor_pool.Default()
    )
    return _strip_type_urls(data)


def _strip_type_urls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_type_urls(v) for k, v in value.items() if k != "@type"}
    if isinstance(value, list):
        return [_strip_type_urls(v) for v in value]
    return value


def parse_text(text: str, message_class: type, source: str) -> Message:
    """Parse a text-format protobuf (``pipeline.config``); errors say file:line:column.

    Plugins are loaded first: their parameter messages (``params { [type…] {…} }``)
    must be in the descriptor pool to be read. (A label map, which has none, is read
    with ``textproto`` alone: reading one loads no plugin.)
    """
    from imagine_core.plugins import get_plugins

    get_plugins()
    return textproto.parse(text, message_class, source)


def read_text_file(path: str | Path, message_class: type) -> Message:
    return parse_text(textproto.read(path), message_class, str(path))


def to_text(message: Message) -> str:
    return text_format.MessageToString(message, descriptor_pool=descriptor_pool.Default())
