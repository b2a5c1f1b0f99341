"""The component registry: typed records of what the loaded plugins provide."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from imagine_core.contracts import CONTRACTS
from imagine_core.errors import (
    ComponentNotFoundError,
    ImagineError,
    PluginConflictError,
    did_you_mean,
)


@dataclass(frozen=True)
class ComponentRecord:
    """One registered component. ``config_type`` is a protobuf message class or None."""

    kind: str
    name: str
    factory: Callable[..., Any]
    config_type: type | None
    distribution: str
    plugin: str
    description: str = ""
    # Fields of this component's config message whose parts must fulfil these contracts
    # (a meta-architecture's {"box_predictor": SsdBoxPredictor}): checked when it builds
    # them and by `imagine config validate`.
    needs: Mapping[str, type] = field(default_factory=dict)
    # A dataset reader: whether a source (folder, file, pattern) is in its format, for
    # commands that are given a source without --format.
    claims: Callable[[str], bool] | None = None

    @property
    def config_type_name(self) -> str:
        return self.config_type.DESCRIPTOR.full_name if self.config_type else ""


@dataclass
class Registry:
    """All components by (kind, name). Filled through the ``imagine_register`` hook."""

    _records: dict[tuple[str, str], ComponentRecord] = field(default_factory=dict)
    # Who is registering right now: set by the plugin manager around each hook call.
    _current: tuple[str, str] = ("<unknown>", "<unknown>")

    def add(
        self,
        kind: str,
        name: str,
        *,
        factory: Callable[..., Any],
        config_type: type | None = None,
        description: str = "",
        needs: Mapping[str, type] | None = None,
        claims: Callable[[str], bool] | None = None,
    ) -> ComponentRecord:
        plugin, distribution = self._current
        if kind not in CONTRACTS:
            hint = did_you_mean(kind, CONTRACTS)
            raise ImagineError(
                f"plugin {plugin!r} ({distribution}) registers {name!r} under the unknown "
                f"kind {kind!r}",
                fix=(hint + " " if hint else "") + f"kinds: {', '.join(sorted(CONTRACTS))}",
            )
        if config_type is not None and not hasattr(config_type, "DESCRIPTOR"):
            raise ImagineError(
                f"plugin {plugin!r} ({distribution}) registers {kind} {name!r} with "
                f"config_type={config_type!r}, which is not a protobuf message class",
                fix="pass the message class (e.g. from imagine_core.proto_loader.load_proto)",
            )
        for part, contract in (needs or {}).items():
            if not isinstance(contract, type):
                raise ImagineError(
                    f"plugin {plugin!r} ({distribution}) registers {kind} {name!r} needing "
                    f"{contract!r} of its field {part!r}, which is no contract class",
                    fix="map field names to classes of imagine_core.api (e.g. SsdBoxPredictor)",
                )
        key = (kind, name)
        if key in self._records:
            other = self._records[key]
            raise PluginConflictError(
                f"{kind} {name!r} is registered twice: by plugin {other.plugin!r} "
                f"(distribution {other.distribution}) and by plugin {plugin!r} "
                f"(distribution {distribution})",
                fix="uninstall one of the two distributions, or block one plugin with "
                "IMAGINE_DISABLE_PLUGINS=<plugin name>",
            )
        record = ComponentRecord(
            kind,
            name,
            factory,
            config_type,
            distribution,
            plugin,
            description,
            dict(needs or {}),
            claims,
        )
        self._records[key] = record
        return record

    def get(self, kind: str, name: str, *, where: str | None = None) -> ComponentRecord:
        try:
            return self._records[(kind, name)]
        except KeyError:
            raise self.not_found(kind, name, where=where) from None

    def find(self, kind: str, name: str) -> ComponentRecord | None:
        return self._records.get((kind, name))

    def not_found(self, kind: str, name: str, *, where: str | None = None) -> ImagineError:
        known = self.names(kind)
        hint = did_you_mean(name, known)
        if known:
            fix = (hint + " " if hint else "") + f"known {kind}s: {', '.join(known)}"
        else:
            fix = f"no loaded plugin registers any {kind} yet; install one that does"
        return ComponentNotFoundError(
            f"no loaded plugin provides the {kind} {name!r}", where=where, fix=fix
        )

    def names(self, kind: str) -> list[str]:
        return sorted(n for (k, n) in self._records if k == kind)

    def __iter__(self) -> Iterator[ComponentRecord]:
        return iter(sorted(self._records.values(), key=lambda r: (r.kind, r.name)))

    def __len__(self) -> int:
        return len(self._records)

    def by_plugin(self, plugin: str) -> list[ComponentRecord]:
        return [r for r in self if r.plugin == plugin]

    @contextmanager
    def registering(self, plugin: str, distribution: str) -> Iterator[None]:
        """Attribute what is added inside the block to this plugin; on an error, drop it."""
        self._current = (plugin, distribution)
        before = set(self._records)
        try:
            yield
        except Exception:
            for key in set(self._records) - before:
                del self._records[key]
            raise
        finally:
            self._current = ("<unknown>", "<unknown>")
