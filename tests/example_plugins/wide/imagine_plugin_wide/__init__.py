"""A wide, shallow feature extractor for glyphs: imagine's example third-party plugin.

Everything a plugin does goes through the hooks of ``imagine_core.hookspecs``.
"""

from __future__ import annotations

import argparse
from typing import Any

from imagine_core import hookimpl
from imagine_core.contracts import Command, FeatureExtractor
from imagine_core.proto_loader import load_proto

messages = load_proto("imagine_plugin_wide", "wide.proto")


class WideGlyphNet(FeatureExtractor):
    """``num_blocks`` stride-2 convolutions of ``width`` channels; one map per level."""

    def __init__(self, params: Any, depth_multiplier: float):
        self.width = max(8, int(params.width * depth_multiplier))
        self.num_blocks = params.num_blocks
        self._layers: list[Any] | None = None

    def __call__(self, images: Any, training: bool = False) -> dict[str, Any]:
        import tensorflow as tf  # only when the model is built: imports stay cheap

        if self._layers is None:
            self._layers = [
                tf.keras.layers.Conv2D(self.width, 3, strides=2, padding="same", activation="relu")
                for _ in range(self.num_blocks + 2)
            ]
        features, x = {}, images
        for level, layer in enumerate(self._layers, start=1):
            x = layer(x, training=training)
            if level > self.num_blocks:
                features[str(level)] = x
        return features


def build(config: Any, slot: Any, pipeline: Any) -> WideGlyphNet:
    return WideGlyphNet(config, slot.depth_multiplier)


class Levels(Command):
    """``imagine wide-levels``: a top-level command of a third-party plugin."""

    help = "the feature levels and strides WideGlyphNet gives for a number of blocks"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--num-blocks", type=int, default=3)

    def run(self, args: argparse.Namespace) -> int:
        first = args.num_blocks + 1
        for level in (first, first + 1):
            print(f"level {level}: stride {2**level}")
        return 0


@hookimpl
def imagine_register(registry):
    registry.add("command", "wide-levels", factory=lambda **_: Levels(), description=Levels.help)
    registry.add(
        "feature_extractor",
        "wide_glyph_net",
        factory=build,
        config_type=messages.WideGlyphNetParams,
        description="a wide, shallow CNN for small glyphs",
    )


@hookimpl
def imagine_config_dirs():
    return ["pkg://imagine_plugin_wide.conf"]


@hookimpl
def imagine_reads():
    return ["model.ssd.feature_extractor.params"]
