"""The CLI starts without TensorFlow: --help, plugins and config never import it."""

from __future__ import annotations

import pytest
from conftest import run_imagine

# --help ends in argparse's SystemExit: the check runs after it too.
CHECK = """
import sys
from imagine_core.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
assert "{module}" not in sys.modules, "{module} was imported"
sys.exit(code)
"""


@pytest.mark.parametrize(
    "args",
    [("--help",), ("plugins",), ("config", "show"), ("config", "validate", "--skip-paths")],
    ids=" ".join,
)
def test_command_does_not_import_tensorflow(args):
    result = run_imagine(*args, code=CHECK.format(module="tensorflow"))
    assert "tensorflow was imported" not in result.err
    assert result.code in (0, 2), result.err


def test_the_check_sees_what_help_imports():
    """The check itself can fail: every command imports json, --help included."""
    result = run_imagine("--help", code=CHECK.format(module="json"))
    assert "json was imported" in result.err


def test_core_import_is_tensorflow_free():
    result = run_imagine(
        code="import sys, imagine_core.cli, imagine_core.registry, "
        "imagine_core.config.validate; assert 'tensorflow' not in sys.modules"
    )
    assert result.code == 0, result.err


def test_the_python_api_imports_without_tensorflow():
    result = run_imagine(
        code="import sys, imagine; imagine.pipeline_from_dict({}); "
        "assert 'tensorflow' not in sys.modules"
    )
    assert result.code == 0, result.err
