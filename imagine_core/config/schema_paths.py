"""Dotted paths through the schema: for hints about keys and for the unread-field report."""

from __future__ import annotations

import re
from collections.abc import Iterator

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from imagine_core.errors import did_you_mean


def describe_key(key: str) -> tuple[bool, str]:
    """Whether ``key`` (dotted, indexes allowed) is a schema path; else a hint."""
    from imagine_core.config.short_keys import app_keys
    from imagine_core.schema import pipeline_class

    top = app_keys()
    parts = [p for p in re.sub(r"\[\d+\]", "", key).split(".") if p and not p.isdigit()]
    if parts and parts[0] in top:
        return True, ""
    descriptor = pipeline_class().DESCRIPTOR
    for i, part in enumerate(parts):
        fields = descriptor.fields_by_name
        if part not in fields:
            names = list(fields) + (list(top) if i == 0 else [])
            where = ".".join(parts[:i]) or "the top level"
            return False, did_you_mean(
                part, names
            ) or f"valid keys at {where}: {', '.join(sorted(names))}"
        field = fields[part]
        if field.message_type is None or field.message_type.full_name == "google.protobuf.Any":
            return i == len(parts) - 1 or field.message_type is not None, ""
        descriptor = field.message_type
    return True, ""


def set_leaf_paths(message: Message, prefix: str = "") -> Iterator[str]:
    """Every field the message sets, as dotted paths; repeated messages without index."""
    for field, value in message.ListFields():
        path = f"{prefix}.{field.name}" if prefix else field.name
        is_message = field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE
        if not is_message or field.message_type.full_name == "google.protobuf.Any":
            yield path
        elif field.is_repeated:
            seen: set[str] = set()
            for item in value:
                for sub in set_leaf_paths(item, path):
                    if sub not in seen:
                        seen.add(sub)
                        yield sub
        else:
            subs = list(set_leaf_paths(value, path))
            yield from subs or [path]  # an empty section ({}) is set too
