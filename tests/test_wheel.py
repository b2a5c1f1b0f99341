"""The package works from a built wheel: conf/ and the generated protobuf code travel in it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT, run_imagine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> object:
    out = tmp_path_factory.mktemp("dist")
    # Build from a clean copy: no generated code, no build/ folder left by an earlier build.
    source = tmp_path_factory.mktemp("source") / "imagine"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "build",
            "*.egg-info",
            "__pycache__",
            "*_pb2.py",
            "*_pb2.pyi",
            "outputs",
            "multirun",
            ".pytest_cache",
            ".ruff_cache",
            "dist",
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return next(out.glob("imagine_ocr-*.whl"))


def test_wheel_carries_config_tree_generated_code_and_plugins(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "imagine_conf/config.yaml" in names
    assert "imagine_plugins/models/conf/model/glyph_retinanet_small.yaml" in names
    assert "imagine_plugins/runners/conf/hardware/tpu.yaml" in names
    assert "imagine_core/protos/pipeline_pb2.py" in names
    assert "imagine_core/protos/hyperparams.proto" in names  # for plugins that import it
    assert "imagine_plugins/labelimg/voc.py" in names
    assert "hydra_plugins/imagine_searchpath/__init__.py" in names
    assert "imagine/__init__.py" in names  # the Python API
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[imagine]" in text and "labelimg = imagine_plugins.labelimg" in text


def test_config_show_runs_from_the_installed_wheel(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    code = (
        "import sys, imagine_core; from imagine_core.cli import main; "
        f"assert imagine_core.__file__.startswith({str(target)!r}), imagine_core.__file__; "
        "sys.exit(main(sys.argv[1:]))"
    )
    result = run_imagine(
        "config",
        "show",
        "model=ssd_mobilenet_v2",
        code=code,
        env={"PYTHONPATH": str(target)},
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    assert 'type: "ssd_mobilenet_v2"' in result.out
