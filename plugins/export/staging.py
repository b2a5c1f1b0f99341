"""What every exporter does around its format: restore the run, choose the tile size,
write the assets (label map, pipeline.config) and publish the folder in one rename."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imagine_core.api import publish_folder, to_text


def prepare(settings: Any, checkpoint: Path, pipeline: Any) -> tuple[Any, Any, int]:
    """The run's model with the checkpoint's weights, its label map, and the tile size
    (``ocr.tile_size``, else the model's input size, as a multiple of its stride)."""
    from imagine_core.api import input_size, restore

    _, model, label_map = restore(checkpoint.parent.parent, checkpoint)
    stride = model.stride()
    size = pipeline.ocr.tile_size or input_size(pipeline) or 512
    return model, label_map, math.ceil(size / stride) * stride


@contextlib.contextmanager
def staged(out_dir: Path, label_map: Any, pipeline: Any) -> Iterator[Path]:
    """A temporary folder to write the export into; on success it gets ``assets/`` and
    replaces ``out_dir`` at once."""
    tmp = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp.mkdir()
    try:
        yield tmp
        (tmp / "assets").mkdir(exist_ok=True)
        label_map.write(tmp / "assets" / "label_map.pbtxt")
        (tmp / "assets" / "pipeline.config").write_text(to_text(pipeline), encoding="utf-8")
        publish_folder(tmp, out_dir, replace=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
