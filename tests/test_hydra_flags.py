"""`imagine run` takes every flag of plain Hydra 1.3 as Hydra documents it: the check
imagine makes before Hydra starts composes what Hydra will compose, and steps aside for
flags that run nothing."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest
import yaml
from conftest import run_imagine
from test_training import TINY

from imagine_core.run import _first_of_sweeps

MODEL = "model: glyph_retinanet_small"


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory):
    """A user's config folder: a model option of their own and a primary config."""
    folder = tmp_path_factory.mktemp("conf")
    (folder / "model").mkdir()
    (folder / "model" / "mine.yaml").write_text(
        "ssd:\n  num_classes: 7\n"
        "  image_resizer:\n    fixed_shape_resizer: {height: 96, width: 96}\n"
    )
    (folder / "mine.yaml").write_text(
        "defaults:\n  - config\n  - _self_\nocr:\n  min_score: 0.35\n", encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize("flag", [["--cfg", "job"], ["-c", "job"]])
def test_cfg_job_shows_the_composed_config_and_runs_nothing(flag, tmp_path):
    result = run_imagine("run", *flag, "lr=0.002", cwd=tmp_path)
    assert result.code == 0, result.err[-2000:]
    shown = yaml.safe_load(result.out)
    assert shown["lr"] == 0.002 and "model" in shown and "hydra" not in shown
    assert not (tmp_path / "outputs").exists()


def test_cfg_all_and_a_package(tmp_path):
    everything = run_imagine("run", "--cfg", "all", cwd=tmp_path)
    assert everything.code == 0 and "hydra" in yaml.safe_load(everything.out)
    one = run_imagine("run", "--cfg", "job", "-p", "ocr", cwd=tmp_path)
    assert one.code == 0 and yaml.safe_load(one.out)["tile_overlap"] == 48


@pytest.mark.parametrize(
    ("topic", "heading"),
    [
        ([], "Config search path"),
        (["defaults"], "Defaults List"),
        (["plugins"], "Installed Hydra Plugins"),
    ],
)
def test_info(topic, heading, tmp_path):
    result = run_imagine("run", "--info", *topic, cwd=tmp_path)
    assert result.code == 0, result.err[-2000:]
    assert heading in result.out


@pytest.mark.parametrize("spelling", ["-cd", "--config-dir="])
def test_config_dir_adds_the_users_options(spelling, config_dir, tmp_path):
    flag = [spelling + str(config_dir)] if spelling.endswith("=") else [spelling, str(config_dir)]
    result = run_imagine("run", *flag, "model=mine", "--cfg", "job", "-p", "model", cwd=tmp_path)
    assert result.code == 0, result.err[-2000:]
    assert yaml.safe_load(result.out.split("\n", 1)[1])["ssd"]["num_classes"] == 7


@pytest.mark.parametrize("relative", [False, True])
def test_config_name_from_the_users_folder(config_dir, tmp_path, relative):
    """`-cd confs` relative to the current folder ended in Hydra's traceback (its compose
    API takes absolute folders only)."""
    folder, cwd = (config_dir.name, config_dir.parent) if relative else (str(config_dir), tmp_path)
    result = run_imagine("run", "-cd", folder, "-cn", "mine", "--cfg", "job", "-p", "ocr", cwd=cwd)
    assert result.code == 0, result.err[-2000:]
    assert yaml.safe_load(result.out.split("\n", 1)[1])["min_score"] == 0.35


def test_a_mistake_beside_cfg_still_gets_one_message(config_dir, tmp_path):
    result = run_imagine("run", "--cfg", "job", "model=nonesuch", cwd=tmp_path)
    assert result.code == 2 and "there is no config option" in result.err
    assert "Traceback" not in result.err
    missing = run_imagine("run", "-cd", str(tmp_path / "none"), cwd=tmp_path)
    assert missing.code == 2 and "not found" in missing.err
    unknown = run_imagine("run", "-cn", "nonesuch", "--cfg", "job", cwd=tmp_path)
    assert unknown.code == 2 and "there is no config named 'nonesuch'" in unknown.err


def test_version_names_imagine_and_hydra(tmp_path):
    result = run_imagine("run", "--version", cwd=tmp_path)
    assert result.code == 0
    assert result.out.startswith("imagine ") and "Hydra 1.3" in result.out


def test_hydra_help(tmp_path):
    result = run_imagine("run", "--hydra-help", cwd=tmp_path)
    assert result.code == 0 and "== Flags ==" in result.out


def test_shell_completion_installs_and_answers(tmp_path):
    script = run_imagine("run", "-sc", "install=bash", cwd=tmp_path)
    assert script.code == 0, script.err[-2000:]
    assert "complete -o nospace -o default -F hydra_bash_completion imagine" in script.out
    # What the installed script asks when a user presses tab after `imagine run model=`.
    env = {"COMP_LINE": "imagine run model=", "COMP_POINT": "18"}
    query = run_imagine("-sc", "query=bash", env=env, cwd=tmp_path)
    assert query.code == 0, query.err[-2000:]
    assert "model=glyph_retinanet_small" in query.out.split()


def test_the_check_takes_the_first_job_of_every_kind_of_sweep():
    sweeps = ["lr=0.01,0.003", "steps=range(10,30,10)", "lr=interval(0.001,0.01)", "steps=5"]
    assert _first_of_sweeps(sweeps) == ["lr=0.01", "steps=10", "lr=0.001", "steps=5"]


@pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is None,
    reason="hydra-optuna-sweeper is not installed (pip install 'imagine-ocr[sweep]')",
)
def test_an_optuna_sweep_of_an_interval_names_the_best_trial(tmp_path):
    sweep = tmp_path / "sweep"
    result = run_imagine(
        "run",
        "-m",
        "hydra/sweeper=optuna",
        "hydra.sweeper.n_trials=2",
        "hydra.sweeper.sampler.seed=1",
        "lr=interval(0.001,0.01)",
        "steps=1",
        *TINY,
        f"hydra.sweep.dir={sweep}",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err[-3000:]
    primaries = {}
    for job in ("0", "1"):
        metrics = json.loads((sweep / job / "metrics.json").read_text())
        primaries[job] = metrics["primary"]
    best = min(primaries, key=primaries.get)
    assert f"best: job {best} (" in result.out
    found = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert found["best_value"] == pytest.approx(primaries[best])


def test_config_path_replaces_the_config_folder(tmp_path):
    from imagine_core.config.locations import conf_dir

    folder = tmp_path / "conf"
    shutil.copytree(conf_dir(), folder)
    config = folder / "config.yaml"
    config.write_text(config.read_text().replace("min_score: 0.2 ", "min_score: 0.45 "))
    result = run_imagine("run", "-cp", str(folder), "--cfg", "job", "-p", "ocr", cwd=tmp_path)
    assert result.code == 0, result.err[-2000:]
    assert yaml.safe_load(result.out.split("\n", 1)[1])["min_score"] == 0.45


def test_an_unquoted_hydra_value_gets_one_message(tmp_path):
    """A run folder named like a multirun job's (`lr=0.1,steps=2`) ended in Hydra's parse
    error, exit 1; quoted, it is taken."""
    result = run_imagine("run", "hydra.run.dir=out/lr=0.1,steps=2", "--cfg", "job", cwd=tmp_path)
    assert result.code == 2 and "hydra.run.dir='out/lr=0.1,steps=2'" in result.err
    assert "Traceback" not in result.err
    quoted = run_imagine("run", "hydra.run.dir='out/lr=0.1,steps=2'", "--cfg", "job", cwd=tmp_path)
    assert quoted.code == 0, quoted.err[-2000:]
