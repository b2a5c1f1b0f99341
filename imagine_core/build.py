"""A component built from its record and config, and checked against its contract.

Used where the pipeline is run (``imagine_core.pipeline.build``) and where it is only
validated (``imagine config validate`` builds the parts a meta-architecture declares it
needs, which are cheap to create: their TensorFlow models come from their ``build``).
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message

from imagine_core.contracts import CONTRACTS
from imagine_core.contracts.fit import abstract_gap, missing_members
from imagine_core.errors import ConfigError
from imagine_core.registry import ComponentRecord


def instantiate(record: ComponentRecord, slot: Message, pipeline: Message) -> Any:
    """Call a component's factory with its typed config.

    ``config`` is the component's own message: the params a plugin registered
    (unpacked from ``params``), or the chosen oneof alternative for built-ins;
    ``slot`` is the message that chose it (with shared fields such as
    ``depth_multiplier``); ``pipeline`` is the whole pipeline.
    """
    config = None
    if record.config_type is not None:
        config = record.config_type()
        params = (
            getattr(slot, "params", None) if "params" in slot.DESCRIPTOR.fields_by_name else None
        )
        if params is not None and slot.HasField("params"):
            params.Unpack(config)
        elif "plugin" in slot.DESCRIPTOR.fields_by_name and slot.HasField("plugin"):
            if slot.plugin.HasField("params"):
                slot.plugin.params.Unpack(config)
        elif record.name in slot.DESCRIPTOR.fields_by_name:
            config.CopyFrom(getattr(slot, record.name))
    return _called(record, config, slot, pipeline)


def make(
    record: ComponentRecord,
    config: Message | None = None,
    pipeline: Message | None = None,
    *,
    slot: Message | None = None,
) -> Any:
    """A component that code chooses by name (``imagine data convert --to coco``, the demo
    corpus reading its LabelImg files), not a pipeline slot: built from ``config`` — its
    ``config_type`` with defaults when None — and checked against its kind's contract."""
    if config is None and record.config_type is not None:
        config = record.config_type()
    return _called(record, config, slot, pipeline)


def _called(record: ComponentRecord, config: Any, slot: Any, pipeline: Any) -> Any:
    try:
        part = record.factory(config=config, slot=slot, pipeline=pipeline)
    except TypeError as exc:
        if not abstract_gap(exc):  # a bug of the factory: its own traceback
            raise
        raise _misfit(record, CONTRACTS[record.kind], abstract_gap(exc)) from None
    require_fit(part, record, CONTRACTS[record.kind])
    return part


def require_fit(part: Any, record: ComponentRecord, contract: type, where: str = "") -> None:
    """Refuse a built part that lacks what ``contract`` declares, naming the members and
    the plugin that provides the part."""
    missing = missing_members(part, contract)
    if missing:
        raise _misfit(record, contract, "it has no " + ", ".join(missing), where)


def _misfit(record: ComponentRecord, contract: type, why: str, where: str = "") -> ConfigError:
    return ConfigError(
        f"the {record.kind} {record.name!r} of plugin {record.plugin!r} "
        f"({record.distribution}) does not fit {contract.__name__}: {why}",
        where=where or None,
        fix=f"implement what imagine_core.api.{contract.__name__} declares "
        "(docs/plugins.md, 'Contracts'), or choose another component",
    )
