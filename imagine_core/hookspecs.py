"""Every hook a plugin can implement. This module is the whole plugin API.

A plugin is a module named by an entry point in the group ``imagine``::

    [project.entry-points.imagine]
    wide = "imagine_plugin_wide.plugin"

and implements any of the hooks below as module-level functions marked with
``@imagine_core.hookimpl``. Bundled plugins use exactly this path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable

    from imagine_core.config.report import Problem
    from imagine_core.protos.pipeline_pb2 import TrainEvalPipelineConfig
    from imagine_core.registry import Registry

PROJECT = "imagine"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class ShortKey:
    """A top-level key such as ``lr=0.003`` that sets a pipeline field (for sweeps).

    ``target(value, cfg)`` gets the value given and the composed config (an OmegaConf
    ``DictConfig``: read it, do not change it) and returns the dotted path to set and
    the value to set there, or raises ``ConfigError`` for a value it refuses.
    """

    name: str
    help: str
    target: Callable[[Any, Any], tuple[str, Any]]


@hookspec
def imagine_register(registry: Registry) -> None:
    """Register the plugin's components.

    Each component has a kind, a name that configs use, a factory and the
    protobuf message type of its own parameters (``None`` when it has none)::

        @hookimpl
        def imagine_register(registry):
            registry.add("feature_extractor", "wide_glyph_net",
                         factory=build_wide_glyph_net, config_type=WideParams)

    The factory is called lazily, so importing the plugin stays cheap: import
    TensorFlow inside the factory, never at module level.
    """


@hookspec
def imagine_config_dirs() -> list[str]:
    """Folders of Hydra config groups the plugin contributes.

    Each entry is an absolute path or ``pkg://package.sub``; a file
    ``model/wide.yaml`` in it becomes the option ``model=wide``::

        @hookimpl
        def imagine_config_dirs():
            return ["pkg://imagine_plugin_wide.conf"]
    """


@hookspec
def imagine_short_keys() -> list[ShortKey]:
    """Short top-level keys the plugin declares for the fields it reads: ``lr``, ``steps``
    and ``batch_size`` are the runners plugin's. Each is ``null`` in the config until
    given; it is applied before interpolations resolve, so ``${train_config.num_steps}``
    follows ``steps``::

        @hookimpl
        def imagine_short_keys():
            return [ShortKey("tiles", "ocr.tile_size", lambda v, cfg: ("ocr.tile_size", v))]
    """


@hookspec
def imagine_reads() -> list[str]:
    """Pipeline fields the plugin honours, as dotted glob patterns.

    ``imagine config validate`` lists every field a config sets that no loaded
    plugin claims, so nothing is dropped in silence::

        @hookimpl
        def imagine_reads():
            return ["hardware.*", "train_config.batch_size"]

    Repeated fields are matched without their index
    (``train_config.data_augmentation_options.random_crop_image.*``).
    """


@hookspec
def imagine_check_pipeline(pipeline: TrainEvalPipelineConfig) -> list[Problem]:
    """Rules a plugin enforces on a whole pipeline before anything runs.

    Return one :class:`imagine_core.config.report.Problem` per broken rule
    (path, what, fix); an empty list when the pipeline is fine::

        @hookimpl
        def imagine_check_pipeline(pipeline):
            if pipeline.hardware.type != "tpu":
                return []
            if pipeline.model.ssd.image_resizer.HasField("keep_aspect_ratio_resizer"):
                return [Problem("model.ssd.image_resizer", "TPUs need static shapes",
                                "use fixed_shape_resizer")]
            return []
    """


@hookspec
def imagine_fit_pipeline(
    pipeline: TrainEvalPipelineConfig, given: Callable[[str], bool]
) -> list[str]:
    """Make the pipeline fit where it is asked to run, before any check.

    A hardware plugin sets what its hardware needs of the chosen model (``hardware=tpu``:
    static shapes, matmul gathers), so ``model=X hardware=Y`` works without overrides; a
    model plugin may fit its own model the same way. ``given(path)`` is true for what the
    user set on the command line or in a ``pipeline=FILE``: leave those alone, and let
    the checks (``imagine_check_pipeline``) explain them. Change ``pipeline`` in place and
    return one line per change (``"path=value (why)"``): they are printed as ``applied``
    and written to the run's pipeline.config::

        @hookimpl
        def imagine_fit_pipeline(pipeline, given):
            path = "model.ssd.matcher.argmax_matcher.use_matmul_gather"
            if pipeline.hardware.type != "tpu" or given(path):
                return []
            pipeline.model.ssd.matcher.argmax_matcher.use_matmul_gather = True
            return [f"{path}=true (TPU)"]
    """


@hookspec
def imagine_resolve_pipeline(pipeline: TrainEvalPipelineConfig) -> list[str]:
    """Fill in what ``imagine run`` derives from its data, before anything is built.

    Called once per run, after the checks: the runners plugin takes ``num_classes`` from
    the training data's label map and asks ``imagine_fill_from_pages``. Leave what the
    user set; change ``pipeline`` in place and return one ``"path=value (why)"`` line per
    value filled. The result is the run's ``pipeline.config``, and read-only from then on:
    a component that changes the pipeline while the run uses it fails the run, named.
    """


@hookspec
def imagine_fill_from_pages(pipeline: TrainEvalPipelineConfig, pages: list[Any]) -> list[str]:
    """Fill in what the pipeline learns from its training pages, before a model is built.

    ``pages`` are up to 64 training pages, grey ``uint8`` numpy arrays ``[height, width]``,
    decoded once by the runner. Leave what the user set (``HasField``); change ``pipeline``
    in place and return one line per value filled (``"path=value (why)"``), printed and
    kept in the run's pipeline.config. The OCR plugin measures the glyph heights that
    ``imagine ocr`` rescales pages to::

        @hookimpl
        def imagine_fill_from_pages(pipeline, pages):
            if pipeline.ocr.HasField("min_glyph_height"):
                return []
            low, high = measure(pages)
            pipeline.ocr.min_glyph_height, pipeline.ocr.max_glyph_height = low, high
            return [f"ocr.min_glyph_height={low:.1f} (measured on the training pages)"]
    """
