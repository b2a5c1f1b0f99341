"""Every mistake a user can make in a config gets one message: what, where, how to fix."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def user_conf(tmp_path: Path) -> Path:
    """A user's own config folder, added with hydra.searchpath."""
    (tmp_path / "model").mkdir()
    return tmp_path


def _show(cli, conf: Path, *args: str):
    return cli("config", "show", f"hydra.searchpath=[file://{conf}]", *args)


def test_unknown_key_in_a_yaml_file_names_path_file_line_and_close_names(cli, user_conf):
    (user_conf / "model" / "typo.yaml").write_text(
        "defaults:\n  - glyph_retinanet_small\n  - _self_\n\n"
        "ssd:\n  matchr:\n    argmax_matcher: {}\n"
    )
    result = _show(cli, user_conf, "model=typo")
    assert result.code == 2
    assert "model.ssd.matchr" in result.err
    assert f"{user_conf / 'model' / 'typo.yaml'}:6" in result.err
    assert "did you mean 'matcher'" in result.err
    assert "Traceback" not in result.err


def test_wrong_type_names_the_expected_type(cli):
    result = cli("config", "show", "model.ssd.matcher.argmax_matcher.matched_threshold=high")
    assert result.code == 2
    assert "model.ssd.matcher.argmax_matcher.matched_threshold" in result.err
    assert "expects a number, got 'high'" in result.err


def test_bad_enum_value_suggests_the_close_name(cli):
    result = cli("config", "show", "+model.ssd.post_processing.score_converter=SIGMIOD")
    assert result.code == 2 and "did you mean 'SIGMOID'" in result.err


def test_two_alternatives_of_a_oneof_are_refused(cli):
    result = cli("config", "show", "+model.ssd.matcher.bipartite_matcher={}")
    assert result.code == 2
    assert "'argmax_matcher' and 'bipartite_matcher' are both set" in result.err
    assert "config group" in result.err  # how to switch instead


def test_deep_merged_model_groups_are_refused_not_mixed(cli, user_conf):
    (user_conf / "model" / "both.yaml").write_text(
        "defaults:\n  - glyph_retinanet_small\n  - _self_\nfaster_rcnn:\n  num_classes: 3\n"
    )
    result = _show(cli, user_conf, "model=both")
    assert result.code == 2
    assert "'ssd' and 'faster_rcnn' are both set" in result.err


def test_unknown_component_name_answers_with_close_matches(cli):
    result = cli("config", "validate", "train_input_reader.plugin.name=demo_corpsu")
    assert result.code == 2
    assert "dataset_reader 'demo_corpsu'" in result.err
    assert "did you mean 'demo_corpus'" in result.err


def test_unknown_component_without_params_is_listed_by_validate(cli):
    result = cli("config", "validate", "--strict", "hardware.type=tpuu")
    assert result.code == 2
    assert "runner 'tpuu'" in result.out


def test_unknown_config_option_lists_the_options(cli):
    result = cli("config", "show", "model=ssd_mobilenet")
    assert result.code == 2
    assert "did you mean 'ssd_mobilenet_v2'" in result.err
    assert "faster_rcnn_resnet101" in result.err


def test_yaml_syntax_error_names_file_and_line(cli, user_conf):
    (user_conf / "model" / "broken.yaml").write_text("ssd:\n  num_classes: 3\n   matcher: {\n")
    result = _show(cli, user_conf, "model=broken")
    assert result.code == 2
    assert "YAML syntax error" in result.err
    assert "broken.yaml:3" in result.err


def test_text_format_error_names_file_line_and_close_fields(cli, tmp_path):
    config = tmp_path / "bad.config"
    config.write_text("model {\n  ssd {\n    num_clases: 3\n  }\n}\n")
    result = cli("config", "validate", str(config))
    assert result.code == 2
    assert f"{config}:3:" in result.err
    assert "did you mean 'num_classes'" in result.err


def test_missing_pipeline_file(cli, tmp_path):
    result = cli("config", "show", f"pipeline={tmp_path / 'nope.config'}")
    assert result.code == 2
    assert "file not found" in result.err and "nope.config" in result.err


def test_missing_mandatory_value_says_which_key_to_set(cli):
    result = cli("config", "show", "dataset=labelimg")
    assert result.code == 2
    assert "data_dir" in result.err and "data_dir=<value>" in result.err


def test_unknown_top_level_key(cli):
    result = cli("config", "show", "+trian_config.num_steps=3")
    assert result.code == 2
    assert "did you mean 'train_config'" in result.err


def test_key_the_groups_do_not_set_is_added_with_plus(cli):
    result = cli("config", "show", "train_config.sync_replicas=true")
    assert result.code == 2 and "+train_config.sync_replicas=true" in result.err
    assert cli("config", "show", "+train_config.sync_replicas=true").code == 0


def test_bad_override_syntax(cli):
    result = cli("config", "show", "model=[")
    assert result.code == 2 and "override" in result.err.lower()


def test_adding_a_key_the_groups_set_says_drop_the_plus(cli):
    result = cli("config", "show", "+train_config.num_steps=3")
    assert result.code == 2
    assert "drop the '+': train_config.num_steps=3" in result.err


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_config_that_is_no_regular_file_is_refused_not_read(cli, tmp_path, kind):
    """`imagine config validate` on a FIFO waited for ever, on /dev/zero read until the
    kernel stopped it."""
    import os

    path = tmp_path / "c.config"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    result = cli("config", "validate", str(path))
    assert result.code == 2 and "not a regular file" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("text", ["", "# a comment only\n"])
def test_a_pipeline_file_that_sets_nothing_is_refused(cli, tmp_path, text):
    """An empty file was called valid: the defaults would have run in its name."""
    path = tmp_path / "empty.config"
    path.write_text(text)
    result = cli("config", "validate", str(path))
    assert result.code == 2 and "sets nothing" in result.err
