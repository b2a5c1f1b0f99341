"""The ``imagine`` command. Nothing here imports TensorFlow; plugins do, lazily."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from imagine_core import __version__
from imagine_core.console import report_error
from imagine_core.errors import ImagineError, debug_enabled

CORE_COMMANDS = ("run", "config", "plugins")


def build_parser(words: dict[str, str]) -> argparse.ArgumentParser:
    """The top-level parser (for --help and unknown words): the core's commands and the
    command words plugins register."""
    parser = argparse.ArgumentParser(
        prog="imagine",
        description="Read pages by detecting every glyph as an object: train Faster R-CNN or "
        "SSD detectors on characters marked in LabelImg, and get text back.",
    )
    parser.add_argument("--version", action="version", version=f"imagine {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "run", help="train and evaluate a pipeline (Hydra: overrides, -m sweeps)", add_help=False
    )
    for name, text in words.items():
        sub.add_parser(name, help=text, add_help=False)
    sub.add_parser("config", help="show or validate the composed pipeline.config")
    sub.add_parser("plugins", help="list plugins and the components they register")
    return parser


def plugin_command_words() -> dict[str, str]:
    """``imagine WORD``: the first word of every command a plugin registers (``ocr``,
    ``data`` for ``data.check`` …), with its help — the command's own, or a group's
    subcommands. A word of the core's own commands stays the core's."""
    from imagine_core.plugins import get_plugins

    registry = get_plugins().registry
    groups: dict[str, list[str]] = {}
    for name in registry.names("command"):
        word, _, rest = name.partition(".")
        groups.setdefault(word, []).append(rest)
    words = {}
    for word, rests in sorted(groups.items()):
        if word in CORE_COMMANDS:
            continue
        own = registry.get("command", word).description if "" in rests else ""
        words[word] = own or ", ".join(sorted(r for r in rests if r))
    return words


def _core_command(name: str) -> tuple[Callable, Callable]:
    if name == "config":
        from imagine_core.commands import config_cmd as module
    else:
        from imagine_core.commands import plugins_cmd as module
    return module.add_arguments, module.run


def _plugin_command(name: str, argv: list[str], description: str) -> int:
    """``imagine ocr|infer|data|eval|export …``: commands that plugins register (kind 'command')."""
    from imagine_core.build import make
    from imagine_core.plugins import get_plugins

    plugins = get_plugins()
    prefix = name + "."
    names = [n for n in plugins.registry.names("command") if n == name or n.startswith(prefix)]
    parser = argparse.ArgumentParser(prog=f"imagine {name}", description=description)
    records = {n: plugins.registry.get("command", n) for n in names}
    commands = {n: make(record) for n, record in records.items()}  # checked: a Command
    if name in commands:  # a single command: `imagine ocr …`
        command = commands[name]
        parser.description = command.help or parser.description
        command.add_arguments(parser)
    else:  # a group: `imagine data check …`
        sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        for full, command in commands.items():
            p = sub.add_parser(full[len(prefix) :], help=command.help, description=command.help)
            p.set_defaults(_name=full)
            command.add_arguments(p)
    args = parser.parse_args(argv)
    chosen = getattr(args, "_name", name)
    command, record = commands[chosen], records[chosen]
    try:
        return command.run(args)
    except ImagineError:
        raise
    except Exception as exc:  # a bug of the plugin: named, its traceback with --debug
        if debug_enabled():
            raise
        raise ImagineError(
            f"`imagine {record.name.replace('.', ' ')}` of plugin {record.plugin!r} "
            f"({record.distribution}) failed: {type(exc).__name__}: {exc}",
            fix="this is a fault of the plugin, not of your input: report it to its authors "
            "with the traceback that --debug shows",
        ) from exc


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(argv)
    except ImagineError as exc:
        return report_error(exc)
    except KeyboardInterrupt as exc:  # a plugin's SIGTERM handler may say 143
        if not getattr(exc, "reported", False):  # else the plugin said what it kept
            from imagine_core.console import err

            err.print("[yellow]interrupted[/yellow]: nothing more was written; run the same "
                      "command again to go on")  # fmt: skip
        return getattr(exc, "exit_code", 130)


def _unknown(command: str, words: dict[str, str]) -> None:
    from imagine_core.plugins import get_plugins

    known = ", ".join(sorted([*CORE_COMMANDS, *words]))
    raise ImagineError(
        f"`imagine {command}` is no command of the core, and no loaded plugin provides it",
        fix=f"use one of {known}, or install a plugin that registers the command "
        f"{command!r}; {get_plugins().describe()}",
    )


def _dispatch(argv: list[str]) -> int:
    if "--debug" in argv:
        os.environ["IMAGINE_DEBUG"] = "1"
        argv = [a for a in argv if a != "--debug"]
    if argv and argv[0] in ("-sc", "--shell-completion"):
        argv = ["run", *argv]  # the completion script `imagine run -sc install=bash` installs
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "run":
        from imagine_core.run import main as run_main

        return run_main(rest)
    if command not in CORE_COMMANDS:
        words = plugin_command_words()
        if command in words:
            return _plugin_command(command, rest, words[command])
        if command and not command.startswith("-"):
            _unknown(command, words)
        build_parser(words).parse_args(argv or ["--help"])
        return 0
    add_arguments, run = _core_command(command)
    sub = argparse.ArgumentParser(prog=f"imagine {command}")
    add_arguments(sub)
    return run(sub.parse_args(rest))


if __name__ == "__main__":
    sys.exit(main())
