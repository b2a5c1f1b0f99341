"""Page images of every common kind come in as 8-bit RGB pages."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from imagine_core.errors import ImagineError
from imagine_plugins.ocr.images import page_files, read_pages


def _gradient(mode: str) -> Image.Image:
    values = np.tile(np.linspace(0, 1, 40), (30, 1))
    if mode == "I;16":
        return Image.fromarray((values * 65535).astype(np.uint16))
    gray = Image.fromarray((values * 255).astype(np.uint8), "L")
    if mode == "P":
        return gray.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    if mode == "RGBA":
        rgba = gray.convert("RGBA")
        rgba.putalpha(0)  # fully transparent: the page is white
        return rgba
    return gray.convert(mode)


@pytest.mark.parametrize("mode", ["L", "P", "I;16", "RGB", "RGBA", "1"])
def test_every_mode_becomes_rgb_uint8(tmp_path, mode):
    path = tmp_path / "page.png"
    _gradient(mode).save(path)
    (page,) = read_pages(path)
    assert page.image.dtype == np.uint8 and page.image.shape == (30, 40, 3)
    assert page.name == "page"


def test_sixteen_bit_pages_keep_their_range(tmp_path):
    _gradient("I;16").save(tmp_path / "deep.png")
    (page,) = read_pages(tmp_path / "deep.png")
    assert page.image[:, 0].max() == 0 and page.image[:, -1].min() == 255


def test_transparent_pixels_are_white(tmp_path):
    _gradient("RGBA").save(tmp_path / "clear.png")
    (page,) = read_pages(tmp_path / "clear.png")
    assert page.image.min() == 255


def test_every_page_of_a_multipage_tiff(tmp_path):
    path = tmp_path / "scan.tif"
    first, *rest = [Image.new("L", (20 + i, 10), 255 * (i % 2)) for i in range(3)]
    first.save(path, save_all=True, append_images=rest)
    pages = list(read_pages(path))
    assert [p.name for p in pages] == ["scan_p1", "scan_p2", "scan_p3"]
    assert [p.image.shape[1] for p in pages] == [20, 21, 22]


def test_folders_are_searched_and_files_kept_once(tmp_path):
    for name in ("b.png", "a.jpg", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    files = page_files([tmp_path, tmp_path / "a.jpg"])
    assert [f.name for f in files] == ["a.jpg", "b.png"]


def test_an_empty_folder_or_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ImagineError, match="no page images"):
        page_files([tmp_path])
    with pytest.raises(ImagineError, match="no such file"):
        page_files([tmp_path / "missing.png"])


def test_a_broken_image_names_the_file(tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"not a png")
    with pytest.raises(ImagineError, match="cannot read this image") as info:
        list(read_pages(path))
    assert str(path) in str(info.value.where)


def test_pages_that_share_a_name_get_outputs_of_their_own(tmp_path):
    from imagine_plugins.ocr.images import output_stems

    files = [
        tmp_path / "vol1" / "page.png",
        tmp_path / "vol2" / "page.png",
        tmp_path / "scan.png",
        tmp_path / "scan.jpg",
        tmp_path / "alone.tif",
        tmp_path / "vol1_page.png",  # already called what vol1/page.png would become
    ]
    stems = output_stems(files)
    assert stems[files[0]] == "vol1_page" and stems[files[1]] == "vol2_page"
    assert stems[files[2]] == "scan_png" and stems[files[3]] == "scan_jpg"
    assert stems[files[4]] == "alone"
    assert len(set(stems.values())) == len(files)


def test_a_damaged_tiff_names_the_file(tmp_path):
    """A TIFF whose bytes bench_fuzz flipped: Pillow raises TypeError ('Missing
    dimensions') for it, not OSError."""
    path = tmp_path / "page.tif"
    path.write_bytes(bytes.fromhex(DAMAGED_TIFF))
    with pytest.raises(ImagineError, match="damaged") as info:
        list(read_pages(path))
    assert "page.tif" in str(info.value)


DAMAGED_TIFF = (
    "49492a0008000000090000010400010000000800000001010400010000000200000002010300010000"
    "000800000003010300010000000100000006010300010000000100000011010400010000007a000000"
    "1601870001000000020000001701040001000000100000001c01030001000000010000000000dd0000"
    "000000000000000000000000000000000000"
)


@pytest.mark.timeout(60)
def test_a_fifo_or_a_symlink_loop_among_the_pages_is_named_not_waited_on(tmp_path):
    """A named pipe would block the batch for ever; a symlink loop ended in Python's
    RuntimeError before any page was read. Each is now one page's error."""
    import os

    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "x.png").symlink_to(tmp_path / "y.png")
    (tmp_path / "y.png").symlink_to(tmp_path / "x.png")
    _gradient("L").save(tmp_path / "good.png")
    files = page_files([tmp_path])
    assert sorted(f.name for f in files) == ["good.png", "pipe.png", "x.png", "y.png"]
    assert len(list(read_pages(tmp_path / "good.png"))) == 1
    with pytest.raises(ImagineError, match="named pipe"):
        list(read_pages(tmp_path / "pipe.png"))
    with pytest.raises(ImagineError, match="symbolic links"):
        list(read_pages(tmp_path / "x.png"))
