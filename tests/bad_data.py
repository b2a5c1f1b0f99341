"""Messy annotation sets, one per way a user's data goes wrong (issue 14's list): each
case writes two good pages and one bad item into a folder and returns what to read.
Shared by tests/test_bad_input.py and tests/benchmarks/bench_fuzz.py."""

from __future__ import annotations

import contextlib
import json
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image

GOOD = 2  # good pages in every case


def png(path, w=64, h=48):
    Image.new("RGB", (w, h), "white").save(path)


def xml(path, name="a", w=64, h=48, box=(5, 5, 20, 20), fname=None):
    coords = "".join(
        f"<{k}>{v}</{k}>" for k, v in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True)
    )
    path.write_text(
        f"<annotation><filename>{fname or path.stem + '.png'}</filename>"
        f"<size><width>{w}</width><height>{h}</height><depth>3</depth></size>\n"
        f"<object><name>{name}</name><bndbox>{coords}</bndbox></object></annotation>",
        encoding="utf-8",
    )


def voc_good(folder, n=GOOD):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        png(folder / f"good{i}.png")
        xml(folder / f"good{i}.xml")


def bomb_png(path, w=30000, h=30000):
    png(path)
    data = bytearray(path.read_bytes())
    # IHDR starts at byte 8: length(4) 'IHDR'(4) w h ...
    data[16:20] = struct.pack(">I", w)
    data[20:24] = struct.pack(">I", h)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))


CASES: dict[str, Callable[[Path], None]] = {}


def case(name: str):
    def deco(f):
        CASES[name] = f
        return f

    return deco


@case("voc_bomb")
def _(d):
    voc_good(d)
    bomb_png(d / "bomb.png")
    xml(d / "bomb.xml", w=30000, h=30000)


@case("voc_gt_latin1")
def _(d):
    voc_good(d)
    png(d / "p.png")
    xml(d / "p.xml")
    (d / "p.gt.txt").write_bytes("caf\xe9".encode("latin-1"))


@case("voc_gt_utf16")
def _(d):
    voc_good(d)
    png(d / "p.png")
    xml(d / "p.xml")
    (d / "p.gt.txt").write_bytes("café".encode("utf-16"))


@case("voc_badname")
def _(d):
    voc_good(d)
    n = os.fsdecode(b"p\xff")
    png(d / (n + ".png"))
    xml(d / (n + ".xml"), fname="x.png")


@case("voc_hugelabel")
def _(d):
    voc_good(d)
    png(d / "p.png")
    xml(d / "p.xml", name="x" * 9_500_000)


@case("voc_upper")
def _(d):
    voc_good(d)
    png(d / "PAGE.PNG")
    xml(d / "PAGE.XML", fname="PAGE.PNG")


@case("voc_subfolder")
def _(d):
    voc_good(d)
    voc_good(d / "sub", 1)


@case("voc_arabic_digits")
def _(d):  # float() would read ١٢ as 12 and 1_0 as 10
    voc_good(d)
    png(d / "p.png")
    xml(d / "p.xml", box=("١٢", 5, "2_0", 20))


@case("voc_invisible_label")
def _(d):  # a zero-width space: no glyph to learn
    voc_good(d)
    png(d / "p.png")
    xml(d / "p.xml", name="\u200b")


@case("voc_nan")
def _(d):
    voc_good(d)
    png(d / "p.png")
    xml(d / "p.xml", box=("nan", 5, 20, 20))


def yolo_good(d, classes="a\nb\n"):
    d.mkdir(parents=True, exist_ok=True)
    if classes is not None:
        (d / "classes.txt").write_text(classes, encoding="utf-8")
    for i in range(GOOD):
        png(d / f"good{i}.png")
        (d / f"good{i}.txt").write_text("0 0.5 0.5 0.2 0.2\n")


@case("yolo_nan")
def _(d):
    yolo_good(d)
    png(d / "p.png")
    (d / "p.txt").write_text("0 nan 0.5 0.1 0.1\n")


@case("yolo_inf")
def _(d):
    yolo_good(d)
    png(d / "p.png")
    (d / "p.txt").write_text("0 0.5 inf 0.1 0.1\n")


@case("yolo_classes_folder")
def _(d):
    yolo_good(d, classes=None)
    (d / "classes.txt").mkdir()


@case("yolo_bom")
def _(d):
    yolo_good(d, classes="\ufeffa\nb\n")


@case("yolo_empty_class")
def _(d):
    yolo_good(d, classes="a\n \nb\n")


@case("yolo_dup_class")
def _(d):
    yolo_good(d, classes="a\nb\na\n")  # ids 0 and 2 would become one class


@case("yolo_fullwidth")
def _(d):  # float() would read full-width digits
    yolo_good(d)
    png(d / "p.png")
    (d / "p.txt").write_text("0 ０.5 0.5 0.1 0.1\n", encoding="utf-8")


@case("yolo_hugeclass")
def _(d):
    yolo_good(d, classes="a\n" + "b" * 50_000_000 + "\n")


@case("yolo_fifo")
def _(d):
    yolo_good(d)
    png(d / "p.png")
    os.mkfifo(d / "p.txt")


@case("yolo_classes_fifo")
def _(d):
    yolo_good(d, classes=None)
    os.mkfifo(d / "classes.txt")


@case("yolo_urandom")
def _(d):
    yolo_good(d)
    png(d / "p.png")
    os.symlink("/dev/urandom", d / "p.txt")


@case("yolo_zero")
def _(d):
    yolo_good(d)
    png(d / "p.png")
    os.symlink("/dev/zero", d / "p.txt")


def coco(d, images, anns, cats=None, raw=None):
    d.mkdir(parents=True, exist_ok=True)
    for im in images:
        with contextlib.suppress(Exception):
            png(d / str(im["file_name"]))
    doc = {"images": images, "annotations": anns, "categories": cats or [{"id": 1, "name": "a"}]}
    (d / "c.json").write_text(raw if raw is not None else json.dumps(doc))


def img(i, name=None, w=64, h=48):
    return {"id": i, "file_name": name or f"i{i}.png", "width": w, "height": h}


def ann(i, im, bbox=(5, 5, 10, 10), cat=1):
    return {
        "id": i,
        "image_id": im,
        "category_id": cat,
        "bbox": list(bbox),
        "area": 1,
        "iscrowd": 0,
    }


@case("coco_inf")
def _(d):
    coco(d, [img(1), img(2)], [ann(1, 1), ann(2, 2)])
    t = (d / "c.json").read_text().replace('"width": 64', '"width": Infinity', 1)
    (d / "c.json").write_text(t)


@case("coco_mixed_ids")
def _(d):
    coco(d, [img(1), img("2"), img(None, "n.png")], [ann(1, 1), ann(2, "2"), ann(3, None)])


@case("coco_nested")
def _(d):
    coco(d, [img(1)], [ann(1, 1)])
    (d / "c.json").write_text('{"images": ' + "[" * 100000 + "]" * 100000 + "}")


@case("coco_longname")
def _(d):
    coco(d, [img(1), img(2, "x" * 5000 + ".png")], [ann(1, 1), ann(2, 2)])


@case("coco_nan")
def _(d):
    coco(d, [img(1), img(2)], [ann(1, 1), ann(2, 2, bbox=(float("nan"), 5, 10, 10))])


@case("coco_string_bbox")
def _(d):  # float() would read "١٢" as 12
    coco(d, [img(1), img(2)], [ann(1, 1), ann(2, 2, bbox=("١٢", 5, 10, 10))])


@case("coco_dup_ids")
def _(d):
    coco(d, [img(1), img(1, "other.png"), img(2)], [ann(1, 1), ann(2, 2)])


@case("coco_unknown_image")
def _(d):
    coco(d, [img(1)], [ann(1, 1), ann(2, 99)])


@case("coco_empty_cat")
def _(d):
    coco(
        d,
        [img(1), img(2), img(3)],
        [ann(1, 1), ann(2, 2, cat=2), ann(3, 3, cat=3)],
        cats=[{"id": 1, "name": "a"}, {"id": 2, "name": " "}, {"id": 3, "name": None}],
    )


def source_of(folder: Path) -> Path:
    """What to hand `imagine data`: the COCO file of a COCO case, else the folder."""
    return folder / "c.json" if (folder / "c.json").is_file() else folder
