"""A wide, shallow feature extractor for glyphs: imagine's example third-party plugin.

Everything it uses of imagine comes from ``imagine_core.api``, the plugin API.
"""

from __future__ import annotations

import argparse
from typing import Any

from imagine_core.api import Command, FeatureExtractor, hookimpl, load_proto

messages = load_proto("imagine_plugin_wide", "wide.proto")


class WideGlyphNet(FeatureExtractor):
    """Wide, shallow and plain: at every stride ``num_blocks`` 3x3 convolutions of
    ``width`` channels (the first of stride 2), one feature map per anchor level."""

    def __init__(self, params: Any, depth_multiplier: float):
        self.width = max(8, int(params.width * depth_multiplier))
        self.num_blocks = params.num_blocks

    def build(self, min_level: int, max_level: int) -> tuple[Any, Any]:
        import tf_keras  # only when the model is built: imports stay cheap

        layers = tf_keras.layers
        images = tf_keras.Input([None, None, 3])
        x, features = images, {}
        for level in range(1, max_level + 1):
            for block in range(self.num_blocks):
                stride = 2 if block == 0 else 1
                x = layers.Conv2D(self.width, 3, strides=stride, padding="same")(x)
                x = layers.ReLU()(layers.BatchNormalization()(x))
            if level >= min_level:
                features[str(level)] = x
        return tf_keras.Model(images, features, name="wide_glyph_net"), None


def build(config: Any, ctx: Any) -> WideGlyphNet:
    """The factory: ``config`` is the plugin's own WideParams, ``ctx`` the build context
    (``ctx.slot`` is the feature_extractor section that chose it)."""
    return WideGlyphNet(config, ctx.slot.depth_multiplier)


class Levels(Command):
    """``imagine wide-levels``: a top-level command of a third-party plugin."""

    help = "the feature maps WideGlyphNet gives for the anchor levels of a model"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--min-level", type=int, default=3)
        parser.add_argument("--max-level", type=int, default=5)
        parser.add_argument("--width", type=int, default=32)

    def run(self, args: argparse.Namespace) -> int:
        for level in range(args.min_level, args.max_level + 1):
            print(f"level {level}: stride {2**level}, {args.width} channels")
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
