"""LabelImg's Pascal VOC XML: read one file into an Example, write one back.

XML is parsed with entity resolution, DTD loading and network access off, and a
file with a DOCTYPE is refused, so it cannot expand entities (billion laughs)
or reach out (XXE).
"""

from __future__ import annotations

import io
from pathlib import Path

from lxml import etree

from imagine_core.api import (
    ANNOTATION_LIMIT,
    Box,
    DataError,
    Example,
    normalise,
    read_bytes,
    read_text,
)
from imagine_plugins.labelimg.numbers import number

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


def _text(element: etree._Element, path: str, source: Path) -> str:
    found = element.find(path)
    if found is None or found.text is None or not found.text.strip():
        raise DataError(
            f"<{element.tag}> has no <{path}>",
            where=f"{source}:{element.sourceline or 0}",
            fix="re-save the file in LabelImg or add the element",
        )
    return found.text.strip()


def _number(element: etree._Element, path: str, source: Path) -> float:
    text = _text(element, path, source)
    try:
        value = number(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        line = element.find(path).sourceline  # type: ignore[union-attr]
        raise DataError(f"<{path}> is not a number: {text!r}", where=f"{source}:{line}")
    return value


def parse_voc(source: Path) -> Example:
    """Read ``source``; raise DataError naming file and line on anything malformed."""
    data = read_bytes(source, "annotation file", ANNOTATION_LIMIT)
    if not data:
        raise DataError("the annotation file is empty (0 bytes)", where=str(source))
    try:
        tree = etree.parse(io.BytesIO(data), _parser())
    except etree.XMLSyntaxError as exc:
        raise DataError(f"malformed XML: {exc.msg}", where=f"{source}:{exc.lineno or 0}") from None
    if tree.docinfo.doctype:
        raise DataError(
            "the XML declares a DOCTYPE; LabelImg never writes one and entities are not expanded",
            where=f"{source}:1",
            fix="remove the <!DOCTYPE …> declaration",
        )
    root = tree.getroot()
    if root.tag != "annotation":
        raise DataError(
            f"the root element is <{root.tag}>, not <annotation>",
            where=f"{source}:{root.sourceline}",
        )
    size = root.find("size")
    if size is None:
        raise DataError("<annotation> has no <size>", where=f"{source}:{root.sourceline}")
    width, height = int(_number(size, "width", source)), int(_number(size, "height", source))
    boxes = []
    for obj in root.iter("object"):
        label = normalise(_text(obj, "name", source))
        bndbox = obj.find("bndbox")
        if bndbox is None:
            raise DataError(
                f"<object> {label!r} has no <bndbox>", where=f"{source}:{obj.sourceline}"
            )
        coords = [_number(bndbox, k, source) for k in ("xmin", "ymin", "xmax", "ymax")]
        flags = {
            k: (obj.findtext(k) or "0").strip() == "1"
            for k in ("difficult", "group_of", "truncated")
        }
        boxes.append(Box(*coords, label=label, line=obj.sourceline or 0, **flags))
    image = _image_path(root, source)
    truth = source.with_name(f"{source.stem}.gt.txt")  # kraken's and Calamari's convention
    return Example(
        image=image,
        width=width,
        height=height,
        boxes=boxes,
        source=str(source),
        filename=image.name,
        text=read_text(truth, "transcription (.gt.txt)") if truth.exists() else None,
    )


def image_beside(annotation: Path) -> Path | None:
    """The image with the annotation file's stem in its folder, whatever its suffix."""
    for suffix in IMAGE_SUFFIXES:
        for candidate in (annotation.with_suffix(suffix), annotation.with_suffix(suffix.upper())):
            if candidate.is_file():
                return candidate
    return None


def _image_path(root: etree._Element, source: Path) -> Path:
    """LabelImg writes <filename>; the image normally lies beside the XML."""
    name = (root.findtext("filename") or "").strip()
    if name and "/" not in name and (source.parent / name).is_file():
        return source.parent / name
    found = image_beside(source)
    if found is not None:
        return found
    raise DataError(
        f"no image for this annotation (looked for {name or source.stem + '.*'} beside it)",
        where=str(source),
        fix="put the page image next to its XML file",
    )


def _touches_edge(box: Box, width: int, height: int) -> bool:
    """LabelImg's own rule for <truncated>: the box reaches the image's border."""
    return box.xmin <= 1 or box.ymin <= 1 or box.xmax >= width or box.ymax >= height


def voc_xml(example: Example, image: Path, depth: int = 3) -> bytes:
    """The LabelImg XML of ``example`` whose image is saved at ``image``, as LabelImg
    writes it: integer pixels (LabelImg truncates decimals on load, so each open-and-save
    would shift a float box), the image's folder name and absolute path, <truncated> from
    the box (or LabelImg's edge rule). Labels are UTF-8 text, never escaped away."""
    root = etree.Element("annotation")
    etree.SubElement(root, "folder").text = image.parent.name
    etree.SubElement(root, "filename").text = image.name
    etree.SubElement(root, "path").text = str(image.resolve())
    source = etree.SubElement(root, "source")
    etree.SubElement(source, "database").text = "Unknown"
    size = etree.SubElement(root, "size")
    for key, value in (("width", example.width), ("height", example.height), ("depth", depth)):
        etree.SubElement(size, key).text = str(value)
    etree.SubElement(root, "segmented").text = "0"
    for box in example.boxes:
        obj = etree.SubElement(root, "object")
        etree.SubElement(obj, "name").text = box.label
        etree.SubElement(obj, "pose").text = "Unspecified"
        truncated = box.truncated or _touches_edge(box, example.width, example.height)
        etree.SubElement(obj, "truncated").text = "1" if truncated else "0"
        etree.SubElement(obj, "difficult").text = "1" if box.difficult else "0"
        if box.group_of:
            etree.SubElement(obj, "group_of").text = "1"
        bndbox = etree.SubElement(obj, "bndbox")
        for key in ("xmin", "ymin", "xmax", "ymax"):
            etree.SubElement(bndbox, key).text = str(round(getattr(box, key)))
    return etree.tostring(root, pretty_print=True, encoding="utf-8", xml_declaration=False)
