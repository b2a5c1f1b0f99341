"""A broken plugin cannot take the CLI down: whatever its import or hooks raise is named
with the plugin, and a third-party plugin cannot displace a bundled one by its name."""

from __future__ import annotations

import itertools
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from imagine_core import plugins

_MODULES = itertools.count()  # a module name per installed plugin: imports are cached


class _Dist:
    def __init__(self, name: str):
        self.metadata = {"Name": name}
        self.version = "9.9"


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Install a one-module plugin ``imagine_plugin_<name>`` (from source text) under the
    entry-point name ``name``, from distribution ``imagine-plugin-<name>``."""
    real = plugins.entry_points
    added: list[EntryPoint] = []
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(name: str, source: str, module: str | None = None) -> None:
        module = module or f"imagine_plugin_{name}_{next(_MODULES)}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        point = EntryPoint(name, module, plugins.GROUP)
        added.append(point._for(_Dist(f"imagine-plugin-{module}")))

    monkeypatch.setattr(
        plugins, "entry_points", lambda group: [*real(group=group), *added] if group else []
    )
    return install


MARKED = "from imagine_core import hookimpl\n@hookimpl\n"
HOOKED = """
from imagine_core import hookimpl

@hookimpl
def {hook}({args}):
    raise RuntimeError("the plugin's own bug")
"""


@pytest.mark.parametrize(
    "source, reason",
    [
        ("import sys\nsys.exit(3)\n", "SystemExit: 3"),
        ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
        ("raise ImportError('numpy 0.1 is required')\n", "numpy 0.1 is required"),
        (
            MARKED + "def imagine_config_dirs():\n    raise OSError('no such dir')\n",
            "no such dir",
        ),
        (
            MARKED + "def imagine_register(registry):\n    raise SystemExit('bye')\n",
            "SystemExit: bye",
        ),
        (
            "def imagine_register(registry):\n    pass\n",
            "imagine_register (not marked: decorate it with @imagine_core.hookimpl)",
        ),
    ],
    ids=["sys.exit", "KeyboardInterrupt", "ImportError", "config_dirs", "register", "unmarked"],
)
def test_a_plugin_failing_while_it_loads_is_named_and_every_command_works(
    cli, third_party, source, reason
):
    third_party("bad", source)
    result = cli("plugins")
    assert result.code == 0
    assert "plugins that failed to load" in result.out and reason in result.out
    (failure,) = plugins.get_plugins().failed
    assert failure.name == "bad" and reason in failure.reason
    assert "labelimg" in plugins.get_plugins().names()
    assert cli("config", "validate").code == 0


@pytest.mark.parametrize(
    "hook, args",
    [
        ("imagine_check_pipeline", "pipeline"),
        ("imagine_reads", ""),
        ("imagine_fit_pipeline", "pipeline, given"),
    ],
)
def test_a_hook_that_raises_is_one_message_naming_the_plugin(cli, third_party, hook, args):
    third_party("hooky", HOOKED.format(hook=hook, args=args), module=f"imagine_plugin_{hook}")
    result = cli("config", "validate")
    assert result.code == 2
    assert "plugin hooky" in result.err and hook in result.err
    assert "the plugin's own bug" in result.err and "IMAGINE_DISABLE_PLUGINS=hooky" in result.err
    assert "Traceback" not in result.err


def test_a_third_party_plugin_named_like_a_bundled_one_is_refused_naming_both(cli, third_party):
    third_party(
        "labelimg",
        """
        from imagine_core import hookimpl

        @hookimpl
        def imagine_register(registry):
            registry.add("dataset_reader", "impostor_reader", factory=lambda **_: None)
        """,
        module="imagine_plugin_impostor",
    )
    loaded = plugins.get_plugins()
    record = loaded.registry.get("dataset_reader", "labelimg_input_reader")
    assert record.distribution == "imagine-ocr"
    assert "impostor_reader" not in loaded.registry.names("dataset_reader")
    (failure,) = loaded.failed
    assert failure.distribution == "imagine-plugin-imagine_plugin_impostor"
    assert "bundled plugin" in failure.reason and "labelimg" in failure.reason
    result = cli("plugins")
    assert "imagine-plugin-imagine_plugin_impostor" in result.out


def test_a_hook_may_take_fewer_arguments_than_the_spec(cli, third_party):
    third_party(
        "lean",
        """
        from imagine_core import hookimpl

        @hookimpl
        def imagine_fit_pipeline(pipeline):
            return ["lean looked at the pipeline"]
        """,
    )
    assert cli("config", "validate").code == 0


def test_randomly_broken_plugins_never_end_in_a_traceback(tmp_path):
    """A CI-sized run of bench_fuzz's broken plugins (hooks that raise, answer odd
    values, register what no contract allows, config folders that do not exist)."""
    import random
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
    from bench_fuzz import plugin_source, run_plugin

    rng = random.Random(2)
    outcomes = [run_plugin(plugin_source(rng), tmp_path, n) for n in range(25)]
    assert "traceback" not in outcomes
    assert "ok" in outcomes and "error" in outcomes


ODD_ANSWER = """
from imagine_core import hookimpl

@hookimpl
def imagine_check_pipeline(pipeline):
    return 5
"""


def test_a_hook_answering_the_wrong_type_is_named(cli, third_party):
    third_party("odd", ODD_ANSWER)
    result = cli("config", "validate", "--skip-paths")
    assert result.code == 2
    assert "imagine_check_pipeline returned 5, not a list of Problem" in result.err


def test_a_config_folder_that_does_not_exist_fails_its_plugin(cli, third_party):
    third_party(
        "nodir",
        MARKED + "def imagine_config_dirs():\n    return ['pkg://no_such_pkg.conf']\n",
    )
    result = cli("config", "validate", "--skip-paths")
    assert result.code == 0  # the others work
    (failure,) = plugins.get_plugins().failed
    assert failure.name == "nodir" and "no_such_pkg" in failure.reason


def test_ctrl_c_while_a_plugin_loads_stops_the_command(tmp_path):
    """The user's Ctrl-C (a real SIGINT, not a KeyboardInterrupt the plugin raises) is
    never contained as the plugin's failure: the command stops, exit 130, no traceback."""
    import os
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / "loading"
    (tmp_path / "imagine_plugin_slow.py").write_text(
        f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(120)\n"
    )
    info = tmp_path / "imagine_plugin_slow-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: imagine-plugin-slow\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text("[imagine]\nslow = imagine_plugin_slow\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "imagine_core", "plugins"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert marker.exists(), "the plugin never started loading"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "failed to load" not in out


@pytest.mark.parametrize("name", ["lr", "model"], ids=["another plugin's", "a section's"])
def test_a_short_key_taken_already_is_refused_naming_both_plugins(cli, third_party, name):
    """Two plugins declaring ``lr`` would leave one of them setting nothing in silence."""
    third_party(
        "sweeps",
        f"""
        from imagine_core.api import ShortKey, hookimpl

        @hookimpl
        def imagine_short_keys():
            return [ShortKey({name!r}, "mine", lambda value, cfg: ("train_config.num_steps", 1))]
        """,
    )
    result = cli("config", "show", f"{name}=0.1")
    assert result.code == 2
    assert f"the short key {name!r} is declared by plugin" in result.err
    assert "'sweeps'" in result.err
    assert ("'runners'" in result.err) == (name == "lr")


COMMANDS = """
from imagine_core import hookimpl
from imagine_core.api import Command


class Crashes(Command):
    help = "fails"

    def add_arguments(self, parser):
        pass

    def run(self, args):
        raise ZeroDivisionError("the plugin's own bug")


class Interrupted(Command):
    help = "Ctrl-C before anything was saved"

    def add_arguments(self, parser):
        pass

    def run(self, args):
        raise KeyboardInterrupt


class NoRun(Command):
    help = "lacks run"

    def add_arguments(self, parser):
        pass


@hookimpl
def imagine_register(registry):
    registry.add("command", "crashes", factory=lambda **_: Crashes(), description="x")
    registry.add("command", "number", factory=lambda **_: 3, description="x")
    registry.add("command", "norun", factory=lambda **_: NoRun(), description="x")
    registry.add("command", "interrupted", factory=lambda **_: Interrupted(), description="x")
"""


def test_ctrl_c_that_no_step_reported_still_gets_a_line(cli, third_party):
    """Ctrl-C outside a training loop (while a run starts, after its last step) exited
    130 with no word."""
    third_party("mine", COMMANDS)
    result = cli("interrupted")
    assert result.code == 130 and "interrupted" in result.err and "same command" in result.err


@pytest.mark.parametrize(
    "command, said",
    [
        ("crashes", "failed: ZeroDivisionError: the plugin's own bug"),
        ("number", "does not fit Command: it has no"),
        ("norun", "does not fit Command"),
    ],
)
def test_a_plugin_commands_fault_is_one_message_naming_the_plugin(cli, third_party, command, said):
    """A factory returning no Command ('int' object has no attribute 'help'), a Command
    without run, an exception inside a command: each ended in a traceback naming nothing."""
    third_party("mine", COMMANDS)
    result = cli(command)
    assert result.code == 2 and said in result.err and "Traceback" not in result.err
    assert "mine" in result.err  # the plugin is named


def test_imagine_plugins_lists_the_commands_that_do_not_fit(cli, third_party):
    """A command factory returning no Command, or a Command without run, was listed by
    `imagine plugins` like any other; only `imagine WORD` found out."""
    third_party("mine", COMMANDS)
    result = cli("plugins")
    assert result.code == 2, result.err
    listed = result.out.split("commands that do not fit")[1]
    assert "number" in listed and "norun" in listed and "mine" in listed
    assert "crashes" not in listed  # it builds; its fault shows only when it runs


INT_KEYED_MAPS = """
from imagine_core import hookimpl
from imagine_core.api import FeatureExtractor


class IntKeyed(FeatureExtractor):
    size_multiple = None

    def build(self, min_level, max_level):
        import tf_keras

        images = tf_keras.Input([None, None, 3])
        maps = {level: tf_keras.layers.Conv2D(8, 1, strides=2**level)(images)
                for level in range(min_level, max_level + 1)}
        return tf_keras.Model(images, maps), None


@hookimpl
def imagine_register(registry):
    registry.add("feature_extractor", "int_keyed", factory=lambda **_: IntKeyed())
"""


@pytest.mark.slow
def test_validate_build_runs_the_model_and_names_a_part_that_returns_the_wrong_thing(
    cli, third_party
):
    """A feature extractor whose maps are keyed by ints passed `config validate` and failed
    only when `imagine run` built the model."""
    third_party("maps", INT_KEYED_MAPS)
    chosen = "model.ssd.feature_extractor.type=int_keyed"
    assert cli("config", "validate", chosen).code == 0  # the contract alone cannot see it
    result = cli("config", "validate", "--build", chosen)
    assert result.code == 2 and "Traceback" not in result.err
    assert "int_keyed" in result.err and "keyed by" in result.err
    fine = cli("config", "validate", "--build")
    assert fine.code == 0 and "runs on a blank page" in fine.out
