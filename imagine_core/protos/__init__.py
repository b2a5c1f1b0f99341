"""Generated protobuf code of the pipeline schema (``protos/*.proto``).

The ``*_pb2.py`` modules here are produced by ``setup.py`` when the package is
built or installed (``pip install -e .`` regenerates them); git ignores them.
"""
