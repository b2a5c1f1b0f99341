"""Plugins get typed parameter messages from a .proto file without running protoc."""

from __future__ import annotations

import sys

import pytest

from imagine_core.errors import ImagineError
from imagine_core.proto_loader import load_proto


@pytest.fixture
def package(tmp_path, monkeypatch):
    pkg = tmp_path / "my_params_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield pkg
    sys.modules.pop("my_params_pkg", None)


def test_messages_load_and_may_import_the_core_schema(package):
    (package / "p.proto").write_text(
        'syntax = "proto2";\npackage my_params_pkg;\n'
        'import "imagine_core/protos/hyperparams.proto";\n'
        "message P { optional int32 depth = 1 [default = 4]; "
        "optional imagine.protos.Hyperparams conv = 2; }\n"
    )
    messages = load_proto("my_params_pkg", "p.proto")
    params = messages.P()
    assert params.depth == 4
    params.conv.activation = params.conv.RELU_6
    again = load_proto("my_params_pkg", "p.proto")  # cached: same classes
    assert again.P is messages.P


def test_broken_proto_names_the_file(package):
    (package / "bad.proto").write_text('syntax = "proto2";\nmessage { }\n')
    with pytest.raises(ImagineError) as info:
        load_proto("my_params_pkg", "bad.proto")
    assert "bad.proto" in str(info.value)
