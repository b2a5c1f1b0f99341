"""Shared fixtures: run the CLI in-process or in a fresh interpreter, and install the
example third-party plugins for real (pip, into a temporary target folder)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# pytest-xdist's workers get COLUMNS=80, which imagine's consoles honour: tables would be
# cut to 80 columns in the workers only. Unset, piped output is 160 wide (console.py).
os.environ.pop("COLUMNS", None)

from imagine_core import plugins

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = Path(__file__).resolve().parent / "example_plugins"
EXAMPLE_PLUGINS = ("wide", "broken", "csvmarks")
# Copies of the TF Object Detection API sample configs (Apache-2.0) the schema must read.
TFOD_CONFIGS = Path(__file__).resolve().parent / "data" / "tfod_configs"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True, scope="session")
def _cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["IMAGINE_CACHE"] = str(tmp_path_factory.mktemp("imagine-cache"))


@pytest.fixture(autouse=True)
def _fresh_plugins():
    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run ``imagine ARGS`` in this process; return exit code and output."""
    from imagine_core.cli import main

    def run(*args: str) -> Result:
        plugins.reset()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_imagine(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, code: str | None = None
) -> Result:
    """Run imagine in a fresh interpreter (for Hydra's main and sys.modules checks)."""
    full_env = {**os.environ, **(env or {})}
    script = code or "import sys; from imagine_core.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=900,  # a hang ends; a loaded 2-core machine does not
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def example_plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pip-install the example plugins into a target folder; return it."""
    target = tmp_path_factory.mktemp("site")
    sources = tmp_path_factory.mktemp("sources")  # pip builds in-tree: keep tests/ clean
    for name in EXAMPLE_PLUGINS:
        shutil.copytree(EXAMPLES / name, sources / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            *(str(sources / name) for name in EXAMPLE_PLUGINS),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return target


@pytest.fixture
def with_examples(example_plugins: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example plugins importable in this process, for this test only."""
    monkeypatch.syspath_prepend(str(example_plugins))
    plugins.reset()
    return example_plugins


@pytest.fixture
def labelimg_data(tmp_path: Path) -> Path:
    """An (empty) LabelImg dataset folder layout that dataset=labelimg accepts."""
    for sub in ("train", "eval"):
        (tmp_path / sub).mkdir()
    (tmp_path / "label_map.pbtxt").write_text("item { id: 1 name: 'a' }\n", encoding="utf-8")
    return tmp_path


NMS = "model.ssd.post_processing.batch_non_max_suppression"
# Two training steps read nothing above any sensible score: let every box through, so
# that the outputs have glyphs to carry (and stay few).
LOOSE = [f"{NMS}.score_threshold=0.0", f"{NMS}.max_total_detections=12", "ocr.min_score=0.0"]


@pytest.fixture(scope="session")
def tiny_run(shared_folder: Path) -> Path:
    """A two-step run on tiny demo pages, built once for the whole suite (shared by the
    ocr, infer, export and plugin tests of both workers, which only read it)."""
    return shared_folder / "run"


@pytest.fixture(scope="session")
def eval_pages(shared_folder: Path) -> Path:
    """The tiny run's held-out demo pages, with their .gt.txt."""
    return shared_folder / "eval"


@pytest.fixture(scope="session")
def shared_folder(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Where the tiny run and a copy of its eval pages are: the first xdist worker to ask
    builds them, under a file lock, and the other waits and reuses them (each worker has
    its own session, so a session fixture alone would train twice)."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    root = root if worker_id == "master" else root.parent
    folder = root / "tiny-run"
    with FileLock(str(root / "tiny-run.lock")):
        if not (folder / "eval").is_dir():
            _train_tiny_run(folder)
    return folder


def _train_tiny_run(folder: Path) -> None:
    from test_training import TINY

    folder.mkdir(exist_ok=True)
    result = run_imagine(
        "run", *TINY, *LOOSE, "steps=2", f"hydra.run.dir={folder / 'run'}", cwd=folder
    )
    assert result.code == 0, result.err[-3000:]
    shutil.copytree(demo_eval_dir(folder / "run"), folder / "eval")


def demo_eval_dir(run: Path) -> Path:
    """The held-out pages of the demo corpus a run trained on (its own: the cache may hold
    demo corpora of other sizes too)."""
    from imagine_core.api import build, read_pipeline

    pipeline = read_pipeline(run / "pipeline.config")
    return build(pipeline.eval_input_reader[0], pipeline).ensure() / "eval"


def group_options(group: str) -> list[str]:
    """The options of a config group, from the config folders of every loaded plugin
    (where each group lives: the models plugin's ``model/``, the runners' ``hardware/`` …)."""
    from imagine_core.config.compose import source_dir

    folders = [
        source_dir(d if "://" in d else f"file://{d}")
        for dirs in plugins.get_plugins().config_dirs.values()
        for d in dirs
    ]
    return sorted({p.stem for f in folders if f for p in (f / group).glob("*.yaml")})
