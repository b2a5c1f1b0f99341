"""The component registry: typed records, close matches, conflicts that name both sides."""

from __future__ import annotations

import pytest

from imagine_core.contracts import CONTRACTS
from imagine_core.errors import ComponentNotFoundError, ImagineError, PluginConflictError
from imagine_core.plugins import get_plugins
from imagine_core.registry import Registry
from imagine_core.schema import proto_module


def _factory(**kwargs):
    return kwargs


def test_record_carries_kind_name_type_and_distribution():
    registry = Registry()
    registry._current = ("mine", "my-dist")
    matcher_type = proto_module("matcher").ArgMaxMatcher
    record = registry.add("matcher", "argmax_matcher", factory=_factory, config_type=matcher_type)
    assert registry.get("matcher", "argmax_matcher") is record
    assert (record.kind, record.name, record.distribution, record.plugin) == (
        "matcher",
        "argmax_matcher",
        "my-dist",
        "mine",
    )
    assert record.config_type_name == "imagine.protos.ArgMaxMatcher"


def test_unknown_name_answers_with_close_matches():
    registry = Registry()
    registry.add("matcher", "argmax_matcher", factory=_factory)
    registry.add("matcher", "bipartite_matcher", factory=_factory)
    with pytest.raises(ComponentNotFoundError) as info:
        registry.get("matcher", "argmax_matchr", where="model.ssd.matcher")
    assert "did you mean 'argmax_matcher'" in str(info.value)
    assert "model.ssd.matcher" in str(info.value)


def test_same_name_from_two_distributions_names_both():
    registry = Registry()
    registry._current = ("one", "dist-one")
    registry.add("loss", "weighted_l2", factory=_factory)
    registry._current = ("two", "dist-two")
    with pytest.raises(PluginConflictError) as info:
        registry.add("loss", "weighted_l2", factory=_factory)
    assert "dist-one" in str(info.value) and "dist-two" in str(info.value)


def test_unknown_kind_is_refused_with_the_known_kinds():
    registry = Registry()
    with pytest.raises(ImagineError) as info:
        registry.add("matchers", "x", factory=_factory)
    assert "'matcher'" in str(info.value)


def test_config_type_must_be_a_message_class():
    with pytest.raises(ImagineError, match="not a protobuf message"):
        Registry().add("loss", "x", factory=_factory, config_type=dict)


def _registered():
    return list(get_plugins().registry)


def _slot_for(record, pipeline):
    """The message that chooses ``record``: from the default pipeline when it does, else a
    fresh slot of the right type with the component chosen."""
    from imagine_core.api import chosen_component
    from imagine_core.schema import component_kind

    stack = [pipeline]
    while stack:
        message = stack.pop()
        choice = chosen_component(message)
        if choice and choice[1:3] == (record.kind, record.name):
            return message
        for field, value in message.ListFields():
            if (
                field.message_type is not None
                and field.message_type.full_name != "google.protobuf.Any"
            ):
                stack.extend(value if field.is_repeated else [value])
    # Components named by a string field (ocr.page_reader, ocr.output_formats …): the
    # message holding that field configures them.
    options = proto_module("options")
    stack = [pipeline]
    while stack:
        message = stack.pop()
        for field in message.DESCRIPTOR.fields:
            if field.GetOptions().Extensions[options.component_names] == record.kind:
                return message
            nested = field.message_type is not None and not field.is_repeated
            if nested and field.message_type.full_name != "google.protobuf.Any":
                stack.append(getattr(message, field.name))
    modules = (
        "model",
        "ssd",
        "matcher",
        "box_coder",
        "anchor_generator",
        "box_predictor",
        "losses",
        "optimizer",
        "preprocessor",
        "image_resizer",
        "input_reader",
        "hardware",
        "export",
    )
    if record.name.startswith("faster_rcnn"):  # its feature extractors take its slot
        modules = ("faster_rcnn", *modules)
    for module in modules:
        for descriptor in proto_module(module).DESCRIPTOR.message_types_by_name.values():
            if component_kind(descriptor) != record.kind:
                continue
            slot = proto_module(module).__dict__[descriptor.name]()
            if "type" in descriptor.fields_by_name:
                slot.type = record.name
                return slot
            if record.name in descriptor.fields_by_name:
                getattr(slot, record.name).SetInParent()
                return slot
    return None


@pytest.fixture(scope="module")
def pipelines():
    """The composed pipeline for a model option, composed once per option."""
    from imagine_core.config.compose import compose
    from imagine_core.config.validate import build_pipeline

    cache = {}

    def pipeline(model: str = "glyph_retinanet_small"):
        if model not in cache:
            cache[model] = build_pipeline(compose([f"model={model}"]), get_plugins())[0]
        return cache[model]

    return pipeline


# A meta-architecture builds from a glyph model option of its own.
GLYPH_MODEL = {"faster_rcnn": "glyph_faster_rcnn_small"}


@pytest.mark.parametrize("record", _registered(), ids=lambda r: f"{r.kind}:{r.name}")
def test_every_registered_component_builds_and_fits_its_contract(record, pipelines):
    """timm-style: every component any loaded plugin registers builds and fits its contract."""
    from imagine_core.api import instantiate

    assert record.kind in CONTRACTS
    chosen = pipelines(GLYPH_MODEL.get(record.name, "glyph_retinanet_small"))
    pipeline = chosen.__class__()
    pipeline.CopyFrom(chosen)
    getattr(pipeline.model, pipeline.model.WhichOneof("model")).num_classes = 3
    slot = _slot_for(record, pipeline)
    component = instantiate(record, slot if slot is not None else pipeline, pipeline)
    assert isinstance(component, CONTRACTS[record.kind])


def test_a_factory_gets_what_its_parameters_name_and_builds_parts_through_ctx():
    """Factories name what they take (config, ctx, slot, pipeline); ``ctx.build`` builds
    a part the config chooses, checked against the contract the caller gives."""
    from imagine_core.api import (
        BuildContext,
        ConfigError,
        Matcher,
        SimilarityCalculator,
        build,
        instantiate,
    )
    from imagine_core.registry import ComponentRecord

    seen = {}

    def factory(ctx):
        seen["ctx"] = ctx
        return build(ssd.matcher, ctx.pipeline)

    ssd = proto_module("ssd").Ssd()
    ssd.matcher.argmax_matcher.matched_threshold = 0.6
    ssd.similarity_calculator.iou_similarity.SetInParent()
    record = ComponentRecord("matcher", "m", factory, None, "dist", "plug")
    part = instantiate(record, ssd.matcher, None)
    assert isinstance(part, Matcher) and isinstance(seen["ctx"], BuildContext)
    assert seen["ctx"].slot is ssd.matcher and seen["ctx"].cache_dir.name
    similarity = seen["ctx"].build(ssd.similarity_calculator, contract=SimilarityCalculator)
    assert isinstance(similarity, SimilarityCalculator)
    with pytest.raises(ConfigError, match="does not fit Matcher"):
        seen["ctx"].build(ssd.similarity_calculator, contract=Matcher, where="model.ssd.x")


def test_the_label_map_given_to_build_reaches_every_part_built_through_ctx():
    """A part that needs the class names (a class-aware predictor, a text assembler)
    gets them as ``ctx.label_map``, however deep its meta-architecture built it."""
    from imagine_core.api import LabelMap, Matcher, build, get_plugins

    seen = {}

    def outer(ctx):
        seen["outer"] = ctx.label_map
        return ctx.build(inner_slot, contract=Matcher)

    def inner(ctx):
        seen["inner"], seen["console"] = ctx.label_map, ctx.console
        return build(proto_module("matcher").Matcher(argmax_matcher={}), None)

    registry = get_plugins().registry
    with registry.registering("probe", "probe-dist"):
        registry.add("matcher", "outer_probe", factory=outer)
        registry.add("matcher", "inner_probe", factory=inner)
    slot = proto_module("matcher").Matcher(plugin={"name": "outer_probe"})
    inner_slot = proto_module("matcher").Matcher(plugin={"name": "inner_probe"})
    labels = LabelMap.from_names("ſtu")
    assert isinstance(build(slot, None, label_map=labels), Matcher)
    assert seen["outer"] is labels and seen["inner"] is labels
    assert seen["console"].stderr
    build(slot, None)
    assert seen["outer"] is None and seen["inner"] is None
