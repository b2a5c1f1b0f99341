"""The command line: subcommands, errors as one message with exit code 2."""

from __future__ import annotations

import pytest
from conftest import run_imagine

SUBCOMMANDS = ("run", "ocr", "infer", "data", "eval", "export", "config", "plugins")


def test_help_output_names_subcommands():
    result = run_imagine("--help")
    assert result.code == 0
    for name in SUBCOMMANDS:
        assert f"    {name} " in result.out, name


def test_no_arguments_prints_help():
    result = run_imagine()
    assert result.code == 0 and "COMMAND" in result.out


def test_user_error_is_one_message_and_exit_2(cli):
    result = cli("config", "show", "train_config.batchsize=3")
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "batch_size" in result.err  # the close name
    assert "train_config.batchsize" in result.err  # the dotted path


def test_debug_flag_shows_the_traceback():
    result = run_imagine("--debug", "config", "show", "train_config.batchsize=3")
    assert result.code == 2
    assert "Traceback" in result.err


def test_debug_environment_variable_shows_the_traceback():
    result = run_imagine("config", "show", "lr=abc", env={"IMAGINE_DEBUG": "1"})
    assert result.code == 2 and "Traceback" in result.err


def test_plugin_provided_command_without_a_plugin_names_what_is_missing(cli, monkeypatch):
    monkeypatch.setenv("IMAGINE_DISABLE_PLUGINS", "ocr")
    result = cli("ocr", "page.png")
    assert result.code == 2
    assert "no loaded plugin provides it" in result.err
    assert "labelimg" in result.err  # the loaded plugins are named


def test_export_needs_a_run_folder(cli, tmp_path):
    result = cli("export", str(tmp_path))
    assert result.code == 2
    assert "no loaded plugin reads this model folder" in result.err
    assert "run_folder: a run folder of `imagine run`: pipeline.config" in result.err


def test_export_needs_a_checkpoint_and_a_known_exporter(cli, tmp_path):
    show = cli("config", "show")
    (tmp_path / "pipeline.config").write_text(show.out)
    result = cli("export", str(tmp_path))
    assert result.code == 2
    assert "no checkpoint" in result.err
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "checkpoint").write_text('model_checkpoint_path: "ckpt-1"\n')
    (tmp_path / "label_map.pbtxt").write_text("item { id: 1 name: 'a' }\n")
    unknown = cli("export", str(tmp_path), "--type", "onnx")
    assert unknown.code == 2
    assert "exporter 'onnx'" in unknown.err and "saved_model" in unknown.err


@pytest.mark.parametrize(
    ("command", "default"), [("check", "skip"), ("convert", "strict"), ("synth", "repair")]
)
def test_data_help_tells_the_default_error_policy_it_uses(cli, capsys, command, default):
    with pytest.raises(SystemExit):
        cli("data", command, "-h")
    shown = " ".join(capsys.readouterr().out.split())
    assert f"(default: {default})" in shown
    others = {"skip", "strict", "repair"} - {default}
    assert not any(f"(default: {other})" in shown for other in others)


@pytest.mark.parametrize("command", ["eval", "export"])
def test_eval_and_export_of_an_exported_model_say_they_need_the_run(cli, tmp_path, command):
    """Folders are read by the model loader of their layout: an export has no checkpoints
    to evaluate or export again, and the message says which folder to give instead."""
    (tmp_path / "saved_model.pb").write_bytes(b"")
    result = cli(command, str(tmp_path))
    assert result.code == 2
    assert "this folder holds an exported model, not the checkpoints of a run" in result.err
    assert "Traceback" not in result.err
