"""Hooks of the export plugin."""

from __future__ import annotations

from pathlib import Path

from imagine_core.api import hookimpl


def _saved_model(config=None, slot=None, pipeline=None):
    from imagine_plugins.export.saved_model import SavedModelExporter

    return SavedModelExporter(slot)


def _tflite(config=None, slot=None, pipeline=None):
    from imagine_plugins.export.tflite import TfliteExporter

    return TfliteExporter(slot)


@hookimpl
def imagine_config_dirs():
    """``export/`` options of the config."""
    return [str(Path(__file__).resolve().parent / "conf")]


@hookimpl
def imagine_register(registry):
    from imagine_plugins.export.command import Export
    from imagine_plugins.export.loaders import SavedModelLoader, TfliteLoader

    registry.add("command", "export", factory=lambda **_: Export(), description=Export.help)
    registry.add(
        "model_loader",
        "saved_model",
        factory=lambda **_: SavedModelLoader(),
        description="a folder with saved_model.pb and assets/, as the saved_model exporter writes",
    )
    registry.add(
        "model_loader",
        "tflite",
        factory=lambda **_: TfliteLoader(),
        description="a folder with model.tflite and assets/, as the tflite exporter writes",
    )
    registry.add(
        "exporter",
        "saved_model",
        factory=_saved_model,
        description="TensorFlow SavedModel as the TF OD API exports one: whole pages in, "
        "normalised detections out (any export.input_type)",
    )
    registry.add(
        "exporter",
        "tflite",
        factory=_tflite,
        description="TensorFlow Lite (ssd models): one uint8 tile in, TFLite_Detection_PostProcess "
        "outputs, builtin ops, export.quantize",
    )


@hookimpl
def imagine_reads():
    return ["export.input_type", "export.max_detections", "export.quantize"]
