"""Components built from their records and configs, and checked against their contracts.

Used where the pipeline is run (:func:`build` for a slot a config chooses, :func:`make`
for a component code names) and where it is only validated (``imagine config validate``
builds the parts a meta-architecture declares it needs, which are cheap to create: their
TensorFlow models come from their ``build``).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from google.protobuf.message import Message

from imagine_core.contracts import CONTRACTS
from imagine_core.contracts.fit import abstract_gap, missing_members
from imagine_core.errors import ComponentNotFoundError, ConfigError
from imagine_core.registry import ComponentRecord
from imagine_core.schema import component_kind

if TYPE_CHECKING:
    from rich.console import Console

    from imagine_core.labelmap import LabelMap
    from imagine_core.plugins import LoadedPlugins
    from imagine_core.registry import Registry


@dataclass(frozen=True)
class BuildContext:
    """What a factory gets besides its own config when it takes ``ctx``: the slot that
    chose it, the whole pipeline, the label map of the model being built (when the caller
    knows it: a run's training data, a run folder's ``label_map.pbtxt``), and the means
    to build the parts its config chooses — which get the same label map."""

    slot: Message | None
    pipeline: Message | None
    label_map: LabelMap | None = None

    def build(self, slot: Message, *, contract: type | None = None, where: str = "") -> Any:
        """The part ``slot`` chooses, built and checked against ``contract``."""
        return build(slot, self.pipeline, contract=contract, where=where, label_map=self.label_map)

    @property
    def console(self) -> Console:
        """The console for messages and progress (stderr; results go to ``api.out``)."""
        from imagine_core.console import err

        return err

    @property
    def registry(self) -> Registry:
        from imagine_core.plugins import get_plugins

        return get_plugins().registry

    @property
    def cache_dir(self) -> Path:
        """imagine's cache folder (``$IMAGINE_CACHE``): for what a part derives once."""
        from imagine_core.files import cache_dir

        return cache_dir()


def chosen_component(message: Message) -> tuple[str, str, str, bool] | None:
    """(field, kind, name, free) of the component a slot message chooses, or None.

    A slot (a message with the ``component_kind`` option) chooses by its ``type``
    string when it has one, else by the oneof alternative that is set, the
    alternative ``plugin`` naming the component in ``plugin.name``.
    """
    descriptor = message.DESCRIPTOR
    kind = component_kind(descriptor)
    if not kind:
        return None
    if "type" in descriptor.fields_by_name:
        return ("type", kind, message.type, True)
    for oneof in descriptor.oneofs:
        chosen = message.WhichOneof(oneof.name)
        if chosen == "plugin":
            return ("plugin.name", kind, message.plugin.name, True)
        if chosen:
            return (chosen, kind, chosen, False)
    return None


def build(
    slot: Message,
    pipeline: Message | None,
    plugins: LoadedPlugins | None = None,
    *,
    contract: type | None = None,
    where: str = "",
    label_map: LabelMap | None = None,
) -> Any:
    """The component a slot message chooses (``matcher { argmax_matcher {…} }``), built,
    and checked against ``contract``: what the caller will use of it. ``label_map`` is
    handed to factories that take ``ctx`` (``ctx.label_map``)."""
    from imagine_core.plugins import get_plugins

    plugins = plugins or get_plugins()
    choice = chosen_component(slot)
    if choice is None:
        raise ComponentNotFoundError(
            f"{slot.DESCRIPTOR.name} chooses no component", fix="set one of its alternatives"
        )
    _, kind, name, _ = choice
    record = plugins.registry.get(kind, name)
    part = instantiate(record, slot, pipeline, label_map)
    if contract is not None:
        require_fit(part, record, contract, where)
    return part


def instantiate(
    record: ComponentRecord,
    slot: Message,
    pipeline: Message | None,
    label_map: LabelMap | None = None,
) -> Any:
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
    return _called(record, config, BuildContext(slot, pipeline, label_map))


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
    return _called(record, config, BuildContext(slot, pipeline))


def _arguments(factory: Any, **given: Any) -> dict[str, Any]:
    """The arguments of ``given`` that ``factory`` takes, by name (all for ``**kwargs``)."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a builtin): the classic three
        return {k: v for k, v in given.items() if k != "ctx"}
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return given
    names = {p.name for p in parameters if p.kind is not p.VAR_POSITIONAL}
    return {k: v for k, v in given.items() if k in names}


def _called(record: ComponentRecord, config: Any, ctx: BuildContext) -> Any:
    given = {"config": config, "slot": ctx.slot, "pipeline": ctx.pipeline, "ctx": ctx}
    try:
        part = record.factory(**_arguments(record.factory, **given))
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
