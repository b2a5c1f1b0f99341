"""Parse one LabelImg (Pascal VOC) XML file into an Example, safely and strictly.

XML is parsed with entity resolution, DTD loading and network access off, so a
file with a DOCTYPE cannot expand entities (billion laughs) or reach out (XXE).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from lxml import etree

from imagine_core.contracts import Box, Example
from imagine_core.errors import ImagineError

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
        line = element.sourceline or 0
        raise ImagineError(
            f"<{element.tag}> has no <{path}>",
            where=f"{source}:{line}",
            fix="re-save the file in LabelImg or add the element",
        )
    return found.text.strip()


def _number(element: etree._Element, path: str, source: Path) -> float:
    text = _text(element, path, source)
    try:
        return float(text)
    except ValueError:
        line = element.find(path).sourceline  # type: ignore[union-attr]
        raise ImagineError(
            f"<{path}> is not a number: {text!r}", where=f"{source}:{line}"
        ) from None


def parse_voc(source: Path) -> Example:
    """Read ``source``; raise ImagineError naming file and line on anything malformed."""
    try:
        tree = etree.parse(str(source), _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        raise ImagineError(f"malformed XML: {exc.msg}", where=f"{source}:{line}") from None
    except OSError as exc:
        raise ImagineError(f"cannot read the file: {exc}", where=str(source)) from None
    if tree.docinfo.doctype:
        raise ImagineError(
            "the XML declares a DOCTYPE; LabelImg never writes one and entities are not expanded",
            where=f"{source}:1",
            fix="remove the <!DOCTYPE …> declaration",
        )
    root = tree.getroot()
    if root.tag != "annotation":
        raise ImagineError(
            f"the root element is <{root.tag}>, not <annotation>",
            where=f"{source}:{root.sourceline}",
        )
    size = root.find("size")
    if size is None:
        raise ImagineError("<annotation> has no <size>", where=f"{source}:{root.sourceline}")
    width, height = int(_number(size, "width", source)), int(_number(size, "height", source))
    boxes = []
    for obj in root.iter("object"):
        label = unicodedata.normalize("NFC", _text(obj, "name", source))
        bndbox = obj.find("bndbox")
        if bndbox is None:
            raise ImagineError(
                f"<object> {label!r} has no <bndbox>", where=f"{source}:{obj.sourceline}"
            )
        coords = [_number(bndbox, k, source) for k in ("xmin", "ymin", "xmax", "ymax")]
        flags = {k: (obj.findtext(k) or "0").strip() == "1" for k in ("difficult", "group_of")}
        boxes.append(Box(*coords, label=label, **flags))
    return Example(
        image=_image_path(root, source), width=width, height=height, boxes=boxes, source=str(source)
    )


def _image_path(root: etree._Element, source: Path) -> Path:
    """LabelImg writes <filename>; the image normally lies beside the XML."""
    name = (root.findtext("filename") or "").strip()
    if name and (source.parent / name).is_file():
        return source.parent / name
    for suffix in IMAGE_SUFFIXES:
        for candidate in (source.with_suffix(suffix), source.with_suffix(suffix.upper())):
            if candidate.is_file():
                return candidate
    raise ImagineError(
        f"no image for this annotation (looked for {name or source.stem + '.*'} beside it)",
        where=str(source),
        fix="put the page image next to its XML file",
    )
