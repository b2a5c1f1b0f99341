"""Text-format protobuf files (pipeline.config, label_map.pbtxt) read with errors that
say file:line:column and the field that was probably meant.

Depends on protobuf and the errors alone, so that anything (the label map included) can
read a text file without loading plugins; ``config.convert.parse_text`` loads them first
for messages whose ``params`` plugins type.
"""

from __future__ import annotations

from pathlib import Path

from google.protobuf import descriptor_pool, text_format
from google.protobuf.message import Message

from imagine_core.errors import ConfigError, DataError, did_you_mean


def read(path: str | Path) -> str:
    """A text file's contents; a missing or unreadable file is one ConfigError. Only a
    regular file of at most ``TEXT_LIMIT`` is read: a FIFO would block for ever, a
    device such as /dev/zero fill the memory."""
    from imagine_core.files import TEXT_LIMIT, read_text

    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise ConfigError(
            "file not found", where=str(path), fix="check the path (relative to the current folder)"
        )
    try:
        return read_text(path, "config file", TEXT_LIMIT)
    except DataError as exc:
        raise ConfigError(exc.what, where=exc.where, fix=exc.fix) from None


def parse(text: str, message_class: type, source: str) -> Message:
    """``text`` as a ``message_class``, with the types already in the descriptor pool."""
    message = message_class()
    try:
        text_format.Parse(text, message, descriptor_pool=descriptor_pool.Default())
    except text_format.ParseError as exc:
        raise _text_error(exc, source) from exc
    return message


def _text_error(exc: text_format.ParseError, source: str) -> ConfigError:
    line, column = exc.GetLine(), exc.GetColumn()
    where = f"{source}:{line}:{column}" if line else source
    message = str(exc)
    if line and message.startswith(f"{line}:"):
        message = message.split(" : ", 1)[-1]
    fix = None
    # "Message type "imagine.protos.Ssd" has no field named "matchr"."
    if "has no field named" in message:
        parts = message.split('"')
        if len(parts) >= 4:
            try:
                desc = descriptor_pool.Default().FindMessageTypeByName(parts[1])
                fix = did_you_mean(parts[3], desc.fields_by_name) or (
                    "valid fields: " + ", ".join(sorted(desc.fields_by_name))
                )
            except KeyError:
                pass
        message = message.replace("imagine.protos.", "")
    if "not found in descriptor pool" in message:
        fix = "install the plugin that defines this parameter type (`imagine plugins` lists them)"
    return ConfigError(message, where=where, fix=fix)
