"""Compile a plugin's ``.proto`` file at import time: typed plugin parameters without protoc.

A plugin ships ``my_plugin/params.proto`` and writes::

    from imagine_core.proto_loader import load_proto
    messages = load_proto("my_plugin", "params.proto")
    WideParams = messages.WideParams

The file may import the core schema (``import "imagine_core/protos/hyperparams.proto";``)
and Google's well-known types. The compiled descriptors are cached on disk,
keyed by the file's content, so later imports do not run the compiler.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from imagine_core.errors import ImagineError
from imagine_core.files import cache_dir


def _core_include() -> Path:
    spec = importlib.util.find_spec("imagine_core")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))).parent


def _compile(virtual_name: str, source: Path) -> bytes:
    """Run grpcio-tools' protoc in a child process: its native library must not meet
    TensorFlow's protobuf in one process (that crashes)."""
    import grpc_tools

    virtual_dir = virtual_name.rsplit("/", 1)[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.pb"
        args = [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{virtual_dir}={source.parent}",
            f"-I{_core_include()}",
            f"-I{Path(grpc_tools.__file__).parent / '_proto'}",
            f"--descriptor_set_out={out}",
            "--include_imports",
            virtual_name,
        ]
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not out.exists():
            raise ImagineError(
                f"the protobuf file could not be compiled: {proc.stderr.strip()}",
                where=str(source),
                fix="fix the .proto file; its imports must name files as "
                "'imagine_core/protos/<file>.proto' or 'google/protobuf/<file>.proto'",
            )
        return out.read_bytes()


def load_proto(package: str, filename: str) -> SimpleNamespace:
    """Compile ``filename`` (inside ``package``) into the default pool; return its messages."""
    from imagine_core.schema import load_all

    load_all()  # the core files first, so a plugin that imports them shares them
    source = Path(str(importlib.resources.files(package).joinpath(filename)))
    if not source.is_file():
        raise ImagineError(f"no such protobuf file: {source}", where=package)
    virtual_name = package.replace(".", "/") + "/" + filename
    data = source.read_bytes()
    key = hashlib.sha256(virtual_name.encode() + b"\0" + data).hexdigest()[:24]
    cached = cache_dir() / "protos" / f"{key}.pb"
    if cached.is_file():
        serialized = cached.read_bytes()
    else:
        serialized = _compile(virtual_name, source)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(serialized)
        tmp.replace(cached)
    file_set = descriptor_pb2.FileDescriptorSet.FromString(serialized)
    pool = descriptor_pool.Default()
    for file_proto in file_set.file:
        try:
            pool.FindFileByName(file_proto.name)
        except KeyError:
            pool.Add(file_proto)
    classes = message_factory.GetMessageClassesForFiles([virtual_name], pool)
    return SimpleNamespace(**{name.rsplit(".", 1)[-1]: cls for name, cls in classes.items()})
