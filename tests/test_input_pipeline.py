"""The tf.data input pipeline: static shapes, padded boxes, tiles that keep whole glyphs."""

from __future__ import annotations

import pytest
from data_helpers import page

tf = pytest.importorskip("tensorflow")

from imagine_core.config.compose import compose  # noqa: E402
from imagine_core.config.validate import build_pipeline  # noqa: E402
from imagine_core.plugins import get_plugins  # noqa: E402
from imagine_plugins.datatools.convert import convert  # noqa: E402
from imagine_plugins.tfrecord.augment import crop_boxes  # noqa: E402
from imagine_plugins.tfrecord.pipeline import build_input, fits_in_memory  # noqa: E402


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    src = tmp_path_factory.mktemp("pages")
    for i in range(3):
        page(src, f"p{i}")
    out = tmp_path_factory.mktemp("records")
    convert(str(src), out, "tfrecord", shards=2, split="val=0.34")
    return out


def _pipeline(records, *extra):
    overrides = [
        "dataset=tfrecord",
        f"data_dir={records}",
        f"train_input_reader.tf_record_input_reader.input_path=[{records}/train.record@2]",
        "model.ssd.image_resizer.fixed_shape_resizer.height=64",
        "model.ssd.image_resizer.fixed_shape_resizer.width=64",
        "train_config.max_number_of_boxes=10",
        "batch_size=2",
        *extra,
    ]
    return build_pipeline(compose(overrides), get_plugins())[0]


def test_batches_have_static_shapes_and_padded_boxes(records):
    data, label_map = build_input(_pipeline(records), training=True)
    batch = next(iter(data))
    assert batch["image"].shape == (2, 64, 64, 3)
    assert batch["groundtruth_boxes"].shape == (2, 10, 4)
    count = int(batch["num_groundtruth_boxes"][0])
    classes = batch["groundtruth_classes"][0].numpy()
    assert (classes[:count] >= 0).all() and (classes[count:] == -1).all()
    boxes = batch["groundtruth_boxes"][0][:count].numpy()
    assert (boxes >= 0).all() and (boxes <= 1).all() and (boxes[:, 2] > boxes[:, 0]).all()
    assert len(label_map) == 7


def test_small_datasets_are_decoded_once_and_kept_in_memory(records):
    files = sorted(records.glob("train.record-*"))
    assert fits_in_memory(files, 1)  # 120 x 60 pages: a few KiB decoded
    assert not fits_in_memory(files, 0)  # 0 turns the cache off


@pytest.mark.parametrize("cache_mb", [0, 2048])
def test_cached_and_uncached_pipelines_give_the_same_kind_of_batches(records, cache_mb):
    pipeline = _pipeline(records, f"+train_input_reader.decoded_cache_mb={cache_mb}")
    data, _ = build_input(pipeline, training=True)
    batches = [b["image"] for b in data.take(4)]
    assert all(b.dtype == tf.float32 and b.shape == (2, 64, 64, 3) for b in batches)
    # Tiles are cut from the uint8 page before the float conversion: the values stay pixels.
    assert min(float(tf.reduce_min(b)) for b in batches) >= 0
    assert max(float(tf.reduce_max(b)) for b in batches) <= 255


def test_tile_keeps_a_glyph_only_when_most_of_it_is_inside():
    boxes = tf.constant([[0.1, 0.1, 0.2, 0.2], [0.4, 0.4, 0.6, 0.6], [0.7, 0.7, 0.8, 0.8]])
    labels = tf.constant([1, 2, 3])
    window = tf.constant([0.0, 0.0, 0.5, 0.5])
    kept, kept_labels = crop_boxes(boxes, labels, window, 0.7)
    # The second is only a quarter inside: no glyph, but no background either (label 0).
    assert kept_labels.numpy().tolist() == [1, 0]
    assert kept.numpy()[0] == pytest.approx([0.2, 0.2, 0.4, 0.4])
    assert kept.numpy()[1] == pytest.approx([0.8, 0.8, 1.0, 1.0])
    _, kept_labels = crop_boxes(boxes, labels, window, 0.2)
    assert kept_labels.numpy().tolist() == [1, 2]
    kept, kept_labels = crop_boxes(boxes, labels, window, 0.0)  # any overlap, none outside
    assert kept_labels.numpy().tolist() == [1, 2]
    assert (kept[:, 2] > kept[:, 0]).numpy().all()


def test_horizontal_flip_is_accepted_with_a_warning(records):
    pipeline = _pipeline(
        records, "+train_config.data_augmentation_options=[{random_horizontal_flip: {}}]"
    )
    with pytest.warns(UserWarning, match="mirrored glyph is another character"):
        build_input(pipeline, training=True)


def test_keep_aspect_ratio_padded_gives_static_shapes(records):
    pipeline = _pipeline(
        records,
        "~model.ssd.image_resizer.fixed_shape_resizer",
        "+model.ssd.image_resizer.keep_aspect_ratio_resizer={min_dimension: 40, "
        "max_dimension: 80, pad_to_max_dimension: true}",
    )
    data, _ = build_input(pipeline, training=False)
    batch = next(iter(data))
    assert batch["image"].shape[1:] == (80, 80, 3)
    assert batch["true_image_shape"][0].numpy().tolist() == [40, 80, 3]  # 120x60 scaled by 2/3


def test_every_text_safe_augmentation_runs(records):
    steps = (
        "random_adjust_brightness",
        "random_adjust_contrast",
        "random_pixel_value_scale",
        "random_image_scale",
        "random_jpeg_quality",
        "random_rotation",
        "random_crop_image",
        "random_rgb_to_gray",
        "random_tile_crop",
    )
    options = ",".join(f"{{{s}: {{}}}}" for s in steps)
    augmented = _pipeline(records, f"+train_config.data_augmentation_options=[{options}]")
    data, _ = build_input(augmented, training=True)
    batch = next(iter(data))
    assert batch["image"].shape == (2, 64, 64, 3)


def test_a_label_missing_from_the_label_map_is_named(tmp_path, monkeypatch):
    """A corrected page with a character the first marks lacked: one message naming the
    label and the page, not a KeyError from the record writer."""
    from imagine_core.errors import ConfigError
    from imagine_core.labelmap import LabelMap
    from imagine_plugins.tfrecord.pipeline import record_files

    monkeypatch.setenv("IMAGINE_CACHE", str(tmp_path / "cache"))
    for split in ("train", "eval"):
        (tmp_path / split).mkdir()
        page(tmp_path / split, "p0", labels=["a", "b"])
    page(tmp_path / "train", "corrected", labels=["a", "J"])
    LabelMap.from_names(["a", "b"]).write(tmp_path / "label_map.pbtxt")
    pipeline = build_pipeline(compose(["dataset=labelimg", f"data_dir={tmp_path}"]), get_plugins())[
        0
    ]
    with pytest.raises(ConfigError) as raised:
        record_files(pipeline.train_input_reader)
    text = str(raised.value)
    assert "'J' (corrected" in text and "label_map.pbtxt" in text and "id: 3" in text
