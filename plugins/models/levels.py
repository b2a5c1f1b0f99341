"""A feature extractor's maps checked once, as the model is built: where a plugin's
``build()`` gives maps under int keys, misses a level or has the wrong stride, the user
reads what is wrong and whose it is, instead of a traceback deep inside Model Garden."""

from __future__ import annotations

from typing import Any

from imagine_core.api import ImagineError


def check_levels(backbone: Any, decoder: Any, levels: range, name: str) -> None:
    """Run ``backbone`` (and ``decoder``) on one small blank image and check that every
    level of ``levels`` has a 4-D map of stride ``2**level``, keyed by the level as a
    string (the ``FeatureExtractor.build`` contract)."""
    import tensorflow as tf

    where = f"model.ssd.feature_extractor (type {name!r})"
    side = 2**levels.stop * 2
    features = backbone(tf.zeros([1, side, side, 3]))
    _require_levels(features, where, "backbone")
    maps = decoder(features) if decoder is not None else features
    _require_levels(maps, where, "decoder" if decoder is not None else "backbone")
    for level in levels:
        found = maps.get(str(level))
        if found is None:
            _refuse(f"its maps have no level {level} (stride {2**level}); they have "
                    f"{', '.join(sorted(maps)) or 'none'}", where)  # fmt: skip
        if len(found.shape) != 4 or found.shape[1] * 2**level != side:
            _refuse(f"its level-{level} map is {list(found.shape)} for a {side}x{side} "
                    f"image: not [batch, {side // 2**level}, {side // 2**level}, depth] "
                    f"(stride {2**level})", where)  # fmt: skip


def _require_levels(maps: Any, where: str, part: str) -> None:
    if not isinstance(maps, dict):
        _refuse(f"its {part} gives {type(maps).__name__}, not maps by level", where)
    keys = [key for key in maps if not isinstance(key, str)]
    if keys:
        _refuse(f"its {part}'s maps are keyed by {keys[0]!r} ({type(keys[0]).__name__}), "
                "not by the level as a string", where)  # fmt: skip


def _refuse(what: str, where: str) -> None:
    raise ImagineError(
        f"the feature extractor does not give what the model needs: {what}",
        where=where,
        fix="build() returns (backbone, decoder) whose maps are {'3': map, '4': map, …}: "
        "one per level min_level..max_level, keyed by the level as a string, each of "
        "stride 2**level (imagine_core.api.FeatureExtractor)",
    )
