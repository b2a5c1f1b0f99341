"""Model folders — a run of ``imagine run``, a SavedModel or TFLite export … — each read
by the ``model_loader`` that the plugin writing its layout registers: the core knows none.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagine_core.contracts.export import ModelLoader
from imagine_core.errors import ImagineError

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from imagine_core.contracts.ocr import Detector
    from imagine_core.labelmap import LabelMap


def read_pipeline(path: Path) -> Message:
    """A text-format ``pipeline.config`` (a run's, an export's ``assets/``), as the schema."""
    from imagine_core.config.convert import read_text_file
    from imagine_core.schema import pipeline_class

    return read_text_file(path, pipeline_class())


DEFAULT_MODEL = "base"  # the trained model read with when none is named


def model_folder(model: Path | str | None) -> Path:
    """The folder of ``model``: a folder as given, else the model a plugin ships under that
    name (``imagine ocr --model base``); None: the base model. A folder of the name in the
    working directory wins over a shipped model."""
    name = DEFAULT_MODEL if model is None else str(model)
    given = Path(name)
    if given.exists():
        return given
    shipped = shipped_folder(name)
    if shipped is not None:
        return shipped
    if model is None:
        raise ImagineError(
            "no model given, and no installed plugin ships a base model",
            fix="pass --model with a run folder of `imagine run` (`imagine run` on the demo "
            "data trains one) or a model from `imagine export`",
        )
    return given


def shipped_folder(name: str) -> Path | None:
    """The folder of the model a plugin ships as ``name``, whatever folder of that name the
    working directory holds; None where no plugin ships one."""
    from imagine_core.build import make
    from imagine_core.plugins import get_plugins

    record = get_plugins().registry.find("trained_model", name)
    return None if record is None else Path(make(record).folder())


def shipped_models() -> list[str]:
    """The names of the trained models the loaded plugins ship."""
    from imagine_core.plugins import get_plugins

    return get_plugins().registry.names("trained_model")


def loader_of(path: Path) -> ModelLoader:
    """The registered model loader whose layout ``path`` is in."""
    from imagine_core.build import make
    from imagine_core.plugins import get_plugins

    registry = get_plugins().registry
    if path.is_dir():
        for name in registry.names("model_loader"):
            loader = make(registry.get("model_loader", name))
            if loader.recognises(path):
                return loader
    layouts = "; ".join(f"{r.name}: {r.description}" for r in registry if r.kind == "model_loader")
    raise ImagineError(
        "no such model" if not path.is_dir() else "no loaded plugin reads this model folder",
        where=str(path),
        fix="pass a run folder of `imagine run`, a model from `imagine export` or the name "
        f"of a shipped model ({', '.join(shipped_models()) or 'none installed'}) (the "
        f"layouts read: {layouts or 'none'})",
    )


def model_config(path: Path) -> tuple[Message, list[str]]:
    """The pipeline and class names (``["?", *label map]``, detection class c is label id
    c) of what ``load_detector`` would load, without loading it: a command checks its
    settings and names its outputs before any model (or worker) starts."""
    path = model_folder(path)
    return loader_of(path).config(path)


def load_detector(path: Path) -> tuple[Message, Detector]:
    """The model in ``path`` (a run's newest checkpoint, an export, a shipped model's
    name …), ready to detect."""
    path = model_folder(path)
    return loader_of(path).load(path)


def latest_checkpoint(path: Path) -> Path:
    """The newest checkpoint of a trainable model folder (a run)."""
    path = model_folder(path)
    return loader_of(path).latest_checkpoint(path)


def restore(path: Path, checkpoint: Path | None = None) -> tuple[Message, Any, LabelMap]:
    """A trainable model folder's pipeline, its model with the checkpoint's weights
    (default: the newest), and its label map: what evaluation and exporters start from."""
    path = model_folder(path)
    return loader_of(path).restore(path, checkpoint)


UNKNOWN = "\ufffd"  # a class the label map has no name for (num_classes > labels)


def class_name(names: list[str], label_id: int) -> str:
    return names[label_id] if label_id < len(names) else UNKNOWN


def page_detections(found: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    """Model output (ymin, xmin, ymax, xmax; 0-based classes, -1 padding) as page glyphs,
    with each glyph's ``alternatives`` ((character, score), best first) where the model
    gives them."""
    pages = []
    for i, n in enumerate(found["num_detections"].numpy()):
        boxes = found["detection_boxes"][i][:n].numpy()
        classes = found["detection_classes"][i][:n].numpy()
        scores = found["detection_scores"][i][:n].numpy()
        keep = classes >= 0
        page = {
            "boxes": [(b[1], b[0], b[3], b[2]) for b in boxes[keep].tolist()],
            "labels": [class_name(names, int(c) + 1) for c in classes[keep]],
            "scores": [float(s) for s in scores[keep]],
        }
        if "detection_alternative_classes" in found:
            alt_classes = found["detection_alternative_classes"][i][:n].numpy()[keep]
            alt_scores = found["detection_alternative_scores"][i][:n].numpy()[keep]
            page["alternatives"] = [
                tuple((class_name(names, int(c) + 1), float(s))
                      for c, s in zip(row_c, row_s, strict=True) if c >= 0)
                for row_c, row_s in zip(alt_classes, alt_scores, strict=True)
            ]  # fmt: skip
        pages.append(page)
    return pages


def input_size(pipeline: Message) -> int:
    """The square input size of a fixed-shape resizer (the size the model trained at)."""
    model = getattr(pipeline.model, pipeline.model.WhichOneof("model"))
    resizer = model.image_resizer
    if resizer.WhichOneof("image_resizer_oneof") == "fixed_shape_resizer":
        return resizer.fixed_shape_resizer.height
    return 0
