"""Plugins load from the entry-point group 'imagine', third-party exactly like bundled."""

from __future__ import annotations

from conftest import run_imagine

from imagine_core.plugins import get_plugins


def test_bundled_plugins_load_through_entry_points():
    loaded = get_plugins()
    assert {"labelimg", "tpu_rules"} <= set(loaded.names())
    record = loaded.registry.get("dataset_reader", "labelimg_input_reader")
    assert record.distribution == "imagine-ocr"
    assert not loaded.failed


def test_plugins_table_lists_plugins_components_and_kinds(cli):
    result = cli("plugins")
    assert result.code == 0
    assert "labelimg" in result.out and "imagine-ocr" in result.out
    assert "dataset_reader" in result.out and "labelimg_input_reader" in result.out


def test_third_party_plugin_appears_with_its_typed_component(cli, with_examples):
    result = cli("plugins")
    assert result.code == 0
    assert "imagine-plugin-wide" in result.out and "0.2.0" in result.out
    assert "wide_glyph_net" in result.out
    assert "imagine_plugin_wide.WideGlyphNetParams" in result.out
    assert "model=wide_glyph" in result.out  # the config group option it contributes


def test_plugin_failing_at_import_is_reported_and_the_cli_keeps_working(cli, with_examples):
    result = cli("plugins")
    assert result.code == 0
    assert "broken" in result.out and "imagine-plugin-broken" in result.out
    assert "imagine_dependency_that_is_not_installed" in result.out
    assert cli("config", "show").code == 0
    failure = get_plugins().failed[0]
    assert (failure.name, failure.distribution) == ("broken", "imagine-plugin-broken")


def test_disabled_plugins_are_not_loaded(cli, with_examples, monkeypatch):
    monkeypatch.setenv("IMAGINE_DISABLE_PLUGINS", "broken, wide")
    result = cli("plugins")
    assert "wide_glyph_net" not in result.out
    assert "disabled by IMAGINE_DISABLE_PLUGINS: broken, wide" in result.out
    assert not get_plugins().failed


def test_third_party_config_group_composes_with_its_typed_params(cli, with_examples):
    result = cli("config", "show", "model=wide_glyph")
    assert result.code == 0, result.err
    assert 'type: "wide_glyph_net"' in result.out
    assert "[type.googleapis.com/imagine_plugin_wide.WideGlyphNetParams]" in result.out
    assert "width: 48" in result.out


def test_third_party_params_are_type_checked(cli, with_examples):
    result = cli(
        "config", "show", "model=wide_glyph", "+model.ssd.feature_extractor.params.widht=3"
    )
    assert result.code == 2
    assert "unknown key 'widht' in WideGlyphNetParams" in result.err
    assert "did you mean 'width'" in result.err
    result = cli(
        "config", "show", "model=wide_glyph", "model.ssd.feature_extractor.params.width=wide"
    )
    assert result.code == 2 and "expects a whole number" in result.err


def test_third_party_component_validates_in_a_config(cli, with_examples):
    result = cli("config", "validate", "--skip-paths", "model=wide_glyph")
    assert "feature_extractor 'wide_glyph_net'" not in result.out  # it is provided
    assert "feature_extractor.params" not in result.out  # and it reads its params
    assert result.code == 0 and ": valid" in result.out


def test_typed_params_reach_the_factory(with_examples):
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import build_pipeline
    from imagine_core.pipeline import instantiate

    loaded = get_plugins()
    pipeline, _ = build_pipeline(
        compose(["model=wide_glyph", "model.ssd.feature_extractor.params.width=64"]), loaded
    )
    slot = pipeline.model.ssd.feature_extractor
    extractor = instantiate(
        loaded.registry.get("feature_extractor", "wide_glyph_net"), slot, pipeline
    )
    assert extractor.width == int(64 * 0.35)
    assert extractor.num_blocks == 2


def test_plugins_command_in_a_fresh_process_with_the_installed_examples(with_examples):
    result = run_imagine("plugins", env={"PYTHONPATH": str(with_examples)})
    assert result.code == 0
    assert "wide_glyph_net" in result.out and "broken" in result.out


def test_a_third_party_plugin_adds_a_top_level_command(with_examples):
    env = {"PYTHONPATH": str(with_examples)}
    listed = run_imagine("--help", env=env)
    assert listed.code == 0 and "wide-levels" in listed.out and "strides" in listed.out
    result = run_imagine("wide-levels", "--num-blocks", "2", env=env)
    assert result.code == 0, result.err[-2000:]
    assert result.out.split("\n")[:2] == ["level 3: stride 8", "level 4: stride 16"]
    unknown = run_imagine("wide-levels", env={"IMAGINE_DISABLE_PLUGINS": "wide", **env})
    assert unknown.code == 2 and "no loaded plugin provides it" in unknown.err
