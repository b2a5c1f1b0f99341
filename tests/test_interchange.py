"""Files other tools write read here, and files written here read there: the TF OD API's
records and label maps, LabelImg's own reading code on imagine's XML and YOLO files."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from data_helpers import page
from PIL import Image

from imagine_core.api import Box, Example, reader_for
from imagine_core.errors import DataError
from imagine_core.labelmap import LabelMap
from imagine_plugins.datatools.convert import convert
from imagine_plugins.labelimg.voc import parse_voc


def exact(example: Example) -> list[tuple]:
    """Every box exactly (integer pixels, as LabelImg writes), label and flags."""
    return sorted(
        (b.label, b.xmin, b.ymin, b.xmax, b.ymax, b.difficult, b.truncated) for b in example.boxes
    )


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for i in range(5):
        xml = page(folder, f"p{i}", size=(121, 67))
        example = parse_voc(xml)
        example.boxes[0].difficult = True
        example.boxes[1].truncated = True
        example.boxes.append(Box(100, 40, 121, 67, label="a"))  # reaches the corner
        from imagine_plugins.labelimg.voc import voc_xml

        xml.write_bytes(voc_xml(example, folder / example.filename))
    return folder


def by_stem(source: str, digits: int | None = None, **kwargs) -> dict[str, list[tuple]]:
    """Each page's boxes; ``digits`` rounds what a TFRecord holds as float32 fractions."""
    read = {Path(e.name).stem: exact(e) for e in reader_for(source, **kwargs).read()}
    if digits is None:
        return read
    return {
        stem: [tuple(round(v, digits) if isinstance(v, float) else v for v in b) for b in boxes]
        for stem, boxes in read.items()
    }


def test_voc_to_tfrecord_to_voc_keeps_every_box_exactly(pages, tmp_path):
    original = by_stem(str(pages))
    convert(str(pages), tmp_path / "rec", "tfrecord", split="eval=0.4")
    # The folder data convert wrote reads back whole: both splits, every shard.
    assert by_stem(str(tmp_path / "rec"), digits=3) == original
    convert(str(tmp_path / "rec"), tmp_path / "back", "labelimg")
    back = by_stem(str(tmp_path / "back" / "train"))
    assert back == original
    xml = (tmp_path / "back" / "train" / "p0.xml").read_text(encoding="utf-8")
    assert "<folder>train</folder>" in xml
    assert f"<path>{(tmp_path / 'back' / 'train' / 'p0.png').resolve()}</path>" in xml
    assert "<xmax>121</xmax>" in xml and "." not in xml.split("<bndbox>")[1].split("</bndbox>")[0]


def test_yolo_to_coco_to_yolo_keeps_every_line(pages, tmp_path):
    convert(str(pages), tmp_path / "yolo", "yolo")
    convert(str(tmp_path / "yolo" / "train"), tmp_path / "coco", "coco")
    convert(str(tmp_path / "coco" / "train.json"), tmp_path / "again", "yolo")
    for first in sorted((tmp_path / "yolo" / "train").glob("p*.txt")):
        again = tmp_path / "again" / "train" / first.name
        assert again.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")
    classes = (tmp_path / "again" / "train" / "classes.txt").read_text(encoding="utf-8")
    assert classes == (tmp_path / "yolo" / "train" / "classes.txt").read_text(encoding="utf-8")


def tf_od_record(path: Path, *, texts: bool, size: bool) -> None:
    """A record as the TF OD API's dataset tools write one: classes by id only, perhaps
    no image/width and image/height."""
    import tensorflow as tf

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buffer, format="PNG")

    def feature(kind: str, values: list) -> tf.train.Feature:
        lists = {"b": tf.train.BytesList, "f": tf.train.FloatList, "i": tf.train.Int64List}
        name = {"b": "bytes_list", "f": "float_list", "i": "int64_list"}[kind]
        return tf.train.Feature(**{name: lists[kind](value=values)})

    features = {
        "image/encoded": feature("b", [buffer.getvalue()]),
        "image/format": feature("b", [b"png"]),
        "image/object/bbox/xmin": feature("f", [0.0, 0.5]),
        "image/object/bbox/xmax": feature("f", [0.25, 0.75]),
        "image/object/bbox/ymin": feature("f", [0.0, 0.5]),
        "image/object/bbox/ymax": feature("f", [0.5, 1.0]),
        "image/object/class/label": feature("i", [2, 1]),
        "image/object/truncated": feature("i", [1, 0]),
    }
    if texts:
        features["image/object/class/text"] = feature("b", [b"b", b"a"])
    if size:
        features["image/width"] = feature("i", [40])
        features["image/height"] = feature("i", [20])
    example = tf.train.Example(features=tf.train.Features(feature=features))
    with tf.io.TFRecordWriter(str(path)) as writer:
        writer.write(example.SerializeToString())


def test_records_with_class_ids_only_read_through_the_label_map(tmp_path):
    record = tmp_path / "ids.record"
    tf_od_record(record, texts=False, size=False)
    label_map = tmp_path / "labels.pbtxt"
    label_map.write_text(
        "item { id: 1 name: 'a' display_name: 'small a' keypoints { id: 0 label: 'top' } }\n"
        "item { id: 2 name: 'b' }\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="by id only") as error:
        list(reader_for(str(record)).read())
    assert "--label-map" in error.value.fix
    (example,) = reader_for(str(record), label_map_path=str(label_map)).read()
    assert (example.width, example.height) == (40, 20)  # from the image itself
    assert sorted(exact(example)) == [
        ("a", 20, 10, 30, 20, False, False),
        ("b", 0, 0, 10, 10, False, True),
    ]
    convert(str(record), tmp_path / "out", "tfrecord", label_map_path=str(label_map))
    written = (tmp_path / "out" / "label_map.pbtxt").read_text(encoding="utf-8")
    assert 'display_name: "small a"' in written
    assert LabelMap.read(tmp_path / "out" / "label_map.pbtxt").display_names == {"a": "small a"}


def test_record_lists_of_different_lengths_are_named(tmp_path):
    import tensorflow as tf

    record = tmp_path / "bad.record"
    tf_od_record(record, texts=True, size=True)
    raw = next(iter(tf.data.TFRecordDataset(str(record)).as_numpy_iterator()))
    example = tf.train.Example.FromString(raw)
    example.features.feature["image/object/class/text"].bytes_list.value.append(b"c")
    with tf.io.TFRecordWriter(str(record)) as writer:
        writer.write(example.SerializeToString())
    with pytest.raises(DataError, match="different lengths"):
        list(reader_for(str(record)).read())


# --- LabelImg's own code --------------------------------------------------------------------


@pytest.fixture(scope="module")
def labelimg_libs(tmp_path_factory) -> Path:
    """LabelImg 1.8.6's readers (libs/pascal_voc_io.py, yolo_io.py: lxml and the standard
    library only), from its source package on PyPI (MIT licence)."""
    folder = tmp_path_factory.mktemp("labelimg")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
         ":all:", "labelImg==1.8.6", "-d", str(folder)],
        check=True,
    )  # fmt: skip
    (archive,) = folder.glob("labelImg-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return next(folder.glob("labelImg-*"))


LABELIMG_READS = """
import json, sys
sys.path.insert(0, sys.argv[1])
from libs.pascal_voc_io import PascalVocReader
from libs.yolo_io import YoloReader

class Size:  # the QImage methods YoloReader asks
    def __init__(self, w, h): self.w, self.h = w, h
    def width(self): return self.w
    def height(self): return self.h
    def isGrayscale(self): return False

voc = PascalVocReader(sys.argv[2]).get_shapes()
yolo = YoloReader(sys.argv[3], Size(int(sys.argv[4]), int(sys.argv[5]))).get_shapes()
print(json.dumps({"voc": voc, "yolo": yolo}, ensure_ascii=False))
"""


@pytest.mark.slow
def test_labelimg_reads_imagines_files_as_written(labelimg_libs, pages, tmp_path):
    import json

    convert(str(pages), tmp_path / "voc", "labelimg")
    convert(str(pages), tmp_path / "yolo", "yolo")
    example = parse_voc(tmp_path / "voc" / "train" / "p0.xml")
    shown = subprocess.run(
        [sys.executable, "-c", LABELIMG_READS, str(labelimg_libs),
         str(tmp_path / "voc" / "train" / "p0.xml"), str(tmp_path / "yolo" / "train" / "p0.txt"),
         str(example.width), str(example.height)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    read = json.loads(shown.stdout)

    def corners(shape) -> tuple:
        label, points, _, _, difficult = shape
        (x0, y0), (x1, y1) = points[0], points[2]
        return (label, x0, y0, x1, y1, difficult)

    ours = sorted((b.label, b.xmin, b.ymin, b.xmax, b.ymax, b.difficult) for b in example.boxes)
    assert sorted(corners(s) for s in read["voc"]) == ours
    # YOLO keeps no difficult flag (LabelImg says so itself).
    assert sorted(corners(s)[:5] for s in read["yolo"]) == [o[:5] for o in ours]


@pytest.mark.parametrize("to", ["labelimg", "yolo", "coco"])
def test_a_folder_data_convert_wrote_reads_back_as_it_is(pages, tmp_path, to):
    """`imagine data convert conv/coco …` said "not recognised": only conv/coco/train.json
    and conv/yolo/train were read. Every split of the folder reads back, every box."""

    def boxes(source: str) -> dict[str, list[tuple]]:  # what every format keeps: pixels
        return {
            stem: [(b[0], *(round(v) for v in b[1:5])) for b in found]
            for stem, found in by_stem(source).items()
        }

    convert(str(pages), tmp_path / to, to, split="val=0.4")
    assert boxes(str(tmp_path / to)) == boxes(str(pages))
