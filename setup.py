"""Build steps pyproject.toml cannot express: folder-to-package mapping and protoc.

The schema lives in ``protos/``; its Python code is generated here with the protoc
that ``grpcio-tools`` ships, into the wheel (``imagine_core/protos/``) or, for an
editable install, into the source tree (git ignores it). Users never run protoc.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import find_namespace_packages, find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PROTO_PACKAGE = "imagine_core/protos"


def generate_protos(out_root: Path) -> list[Path]:
    """Compile protos/*.proto into ``out_root/imagine_core/protos``; return the files written."""
    import grpc_tools
    from grpc_tools import protoc

    sources = sorted((ROOT / "protos").glob("*.proto"))
    include = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_PACKAGE}={ROOT / 'protos'}",
        f"-I{include}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        *(str(s) for s in sources),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed on protos/*.proto (see the messages above)")
    target = out_root / PROTO_PACKAGE
    for source in sources:  # plugin authors may import the core messages
        shutil.copy2(source, target / source.name)
    return sorted(target.glob("*_pb2.py*")) + [target / s.name for s in sources]


class BuildPyWithProtos(build_py):
    def run(self) -> None:
        super().run()
        out_root = ROOT if self.editable_mode else Path(self.build_lib)
        self._generated = generate_protos(out_root)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return super().get_outputs(include_bytecode) + [
            str(p) for p in getattr(self, "_generated", [])
        ]


packages = [*find_packages(include=["imagine_core", "imagine_core.*"]), "imagine"]
packages += find_namespace_packages(include=["hydra_plugins", "hydra_plugins.*"])
packages += ["imagine_plugins." + p for p in find_packages(where="plugins")]
packages += ["imagine_plugins"]
packages += ["imagine_conf"] + [
    "imagine_conf." + d.relative_to(ROOT / "conf").as_posix().replace("/", ".")
    for d in sorted((ROOT / "conf").rglob("*"))
    if d.is_dir()
]

setup(
    packages=packages,
    package_dir={"imagine_plugins": "plugins", "imagine_conf": "conf"},
    package_data={
        "imagine_conf": ["*.yaml", "**/*.yaml"],
        "imagine_plugins": ["**/*.proto", "**/*.txt", "**/README", "**/*.yaml"],
        # the shipped base model: a run folder with a weights-only checkpoint
        "imagine_plugins.base_model": ["model/*", "model/checkpoints/*"],
    },
    cmdclass={"build_py": BuildPyWithProtos},
)
