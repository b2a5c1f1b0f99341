"""Hooks of the few-shot recipe plugin."""

from __future__ import annotations

from imagine_core.api import hookimpl


@hookimpl
def imagine_register(registry):
    from imagine_plugins.fewshot.base import BaseModel
    from imagine_plugins.fewshot.command import FewShot

    registry.add("command", "fewshot", factory=lambda **_: FewShot(), description=FewShot.help)
    registry.add(
        "command", "base-model", factory=lambda **_: BaseModel(), description=BaseModel.help
    )
