"""The generated protobuf code is exactly what protos/ describes."""

from __future__ import annotations

import importlib
import struct
import subprocess
import sys

import pytest
from conftest import ROOT
from google.protobuf import descriptor_pb2

from imagine_core.schema import PROTO_MODULES

PROTO_FILES = sorted(p.stem for p in (ROOT / "protos").glob("*.proto"))


def test_every_proto_file_has_a_module():
    assert sorted(PROTO_MODULES) == PROTO_FILES


@pytest.fixture(scope="module")
def fresh_descriptors(tmp_path_factory) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    import grpc_tools

    out = tmp_path_factory.mktemp("protoc") / "set.pb"
    include = f"{grpc_tools.__path__[0]}/_proto"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-Iimagine_core/protos={ROOT / 'protos'}",
            f"-I{include}",
            f"--descriptor_set_out={out}",
            *(f"imagine_core/protos/{name}.proto" for name in PROTO_FILES),
        ],
        check=True,
        timeout=120,
    )
    # The custom field options (minimum, component_names …) parse as options only once
    # their extensions are registered; else they stay unknown fields and never compare equal.
    importlib.import_module("imagine_core.protos.options_pb2")
    file_set = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return {f.name: f for f in file_set.file}


@pytest.mark.parametrize("name", PROTO_FILES)
def test_generated_module_matches_the_proto_file(name, fresh_descriptors):
    module = importlib.import_module(f"imagine_core.protos.{name}_pb2")
    installed = descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)
    fresh = fresh_descriptors[f"imagine_core/protos/{name}.proto"]
    fresh.ClearField("source_code_info")
    for message in (installed, fresh):
        _drop_json_names(message)
    assert installed == fresh, (
        f"imagine_core/protos/{name}_pb2.py is stale: run `pip install -e .` to regenerate it"
    )


def _drop_json_names(message) -> None:
    """Normalise what differs only in spelling: protoc's descriptor sets carry json_name
    and write float defaults as protoc printed them; generated Python code does not."""
    if isinstance(message, descriptor_pb2.FieldDescriptorProto):
        message.ClearField("json_name")
        if message.type == message.TYPE_FLOAT and message.HasField("default_value"):
            as_float32 = struct.unpack("f", struct.pack("f", float(message.default_value)))[0]
            message.default_value = repr(as_float32)  # "0.6" and "0.600000024" alike
    for field, value in message.ListFields():
        if field.message_type is not None:
            for item in value if field.is_repeated else [value]:
                _drop_json_names(item)
