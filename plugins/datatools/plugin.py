"""Hooks of the data tools plugin."""

from __future__ import annotations

from pathlib import Path

from imagine_core.api import hookimpl


@hookimpl
def imagine_config_dirs():
    """The ``dataset=demo`` option of the config."""
    return [str(Path(__file__).resolve().parent / "conf")]


@hookimpl
def imagine_register(registry):
    from imagine_plugins.datatools import commands

    for name, command in (
        ("data.check", commands.DataCheck),
        ("data.convert", commands.DataConvert),
        ("data.demo", commands.DataDemo),
        ("data.fonts", commands.DataFonts),
        ("data.synth", commands.DataSynth),
    ):
        registry.add(
            "command",
            name,
            factory=lambda command=command, **_: command(),
            description=command.help,
        )
    registry.add(
        "dataset_reader",
        "demo_corpus",
        factory=_demo_reader,
        config_type=demo_messages().DemoCorpus,
        description="the built-in demo corpus: pages of public-domain text, generated once",
    )
    from imagine_plugins.datatools.checks import POLICIES, Checker

    for policy in POLICIES:
        registry.add(
            "example_checker",
            policy,
            factory=lambda policy=policy, **_: Checker(policy),
            description=f"the data checks under --on-error {policy}",
        )


def demo_messages():
    from imagine_core.api import load_proto

    return load_proto("imagine_plugins.datatools", "demo.proto")


def _demo_reader(config, slot=None, pipeline=None):
    from imagine_plugins.datatools.demo.reader import DemoCorpusReader

    return DemoCorpusReader(config)
