"""What real scans do to a page: each function takes a grey page in [0, 1] and the boxes.

Geometric steps (rotation, perspective) move the boxes with the page; the others
only change pixels. Every step draws its randomness from the given generator, so
a seed reproduces a corpus exactly.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

from imagine_core.api import Box

Boxes = list[Box]
Step = Callable[[np.ndarray, Boxes, np.random.Generator, float], tuple[np.ndarray, Boxes]]


def _image(page: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(page * 255.0, 0, 255).astype(np.uint8), "L")


def _array(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float32) / 255.0


def _smooth_field(shape: tuple[int, int], rng: np.random.Generator, scale: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: coarse random values upsampled smoothly."""
    h, w = shape
    coarse = rng.random((max(2, h // scale), max(2, w // scale))).astype(np.float32)
    img = Image.fromarray((coarse * 255).astype(np.uint8), "L").resize((w, h), Image.BICUBIC)
    return _array(img)


def texture(page, boxes, rng, strength):
    """Paper grain and blotches under the ink."""
    grain = rng.normal(0.0, 0.03 * strength, page.shape).astype(np.float32)
    blotches = _smooth_field(page.shape, rng, 64) * 0.12 * strength
    paper = 1.0 - blotches + grain
    return np.minimum(page, paper), boxes


def fading(page, boxes, rng, strength):
    """Ink that has faded, unevenly."""
    amount = 0.25 + 0.35 * strength * _smooth_field(page.shape, rng, 128)
    return 1.0 - (1.0 - page) * (1.0 - amount), boxes


def bleed(page, boxes, rng, strength):
    """Ink spreading into the paper: strokes thicken and soften."""
    spread = _array(_image(page).filter(ImageFilter.MinFilter(3)))
    mix = 0.3 + 0.4 * strength * rng.random()
    return page * (1 - mix) + spread * mix, boxes


def _homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 matrix mapping the four points ``src`` onto ``dst``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    h = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))
    return np.append(h, 1.0).reshape(3, 3)


def _warp(page: np.ndarray, boxes: Boxes, corners: np.ndarray) -> tuple[np.ndarray, Boxes]:
    """Move the page's corners to ``corners``; boxes become the bounds of their moved corners."""
    h, w = page.shape
    frame = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    forward = _homography(frame, corners)  # page -> output
    backward = np.linalg.inv(forward)  # what Pillow wants: output -> page
    coeffs = (backward / backward[2, 2]).flatten()[:8]
    warped = _image(page).transform(
        (w, h), Image.PERSPECTIVE, tuple(coeffs), Image.BICUBIC, fillcolor=255
    )
    moved = []
    for box in boxes:
        points = np.array(
            [
                [box.xmin, box.ymin, 1],
                [box.xmax, box.ymin, 1],
                [box.xmax, box.ymax, 1],
                [box.xmin, box.ymax, 1],
            ]
        ).T
        out = forward @ points
        xs, ys = out[0] / out[2], out[1] / out[2]
        moved.append(
            Box(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), label=box.label)
        )
    return _array(warped), moved


def rotation(page, boxes, rng, strength):
    """A page scanned slightly askew (up to 1.5 degrees)."""
    angle = np.deg2rad(rng.uniform(-1.5, 1.5) * strength)
    h, w = page.shape
    cx, cy = w / 2, h / 2
    c, s = np.cos(angle), np.sin(angle)
    frame = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    corners = np.array(
        [[cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c] for x, y in frame]
    )
    return _warp(page, boxes, corners)


def perspective(page, boxes, rng, strength):
    """A photographed page: its corners pulled a little (up to 1.5% of the size)."""
    h, w = page.shape
    jitter = rng.uniform(-0.015, 0.015, (4, 2)) * strength * np.array([w, h])
    frame = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    return _warp(page, boxes, frame + jitter)


def lighting(page, boxes, rng, strength):
    """Uneven lighting: a gradient and a soft shadow across the page."""
    h, w = page.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    gradient = (np.cos(angle) * xs / w + np.sin(angle) * ys / h + 1) / 2
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    shadow = np.exp(-(((xs - cx) / (0.4 * w)) ** 2 + ((ys - cy) / (0.4 * h)) ** 2))
    light = 1.0 - strength * (0.25 * gradient + 0.2 * shadow)
    return page * light, boxes


def blur(page, boxes, rng, strength):
    radius = 0.3 + 0.7 * strength * rng.random()
    return _array(_image(page).filter(ImageFilter.GaussianBlur(radius))), boxes


def noise(page, boxes, rng, strength):
    sigma = 0.02 + 0.04 * strength * rng.random()
    return page + rng.normal(0.0, sigma, page.shape).astype(np.float32), boxes


def jpeg(page, boxes, rng, strength):
    quality = int(75 - 40 * strength * rng.random())
    buffer = io.BytesIO()
    _image(page).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return _array(Image.open(buffer).convert("L")), boxes


# In the order they are applied: paper and ink, then the scan, then the file.
STEPS: dict[str, Step] = {
    "texture": texture,
    "fading": fading,
    "bleed": bleed,
    "rotation": rotation,
    "perspective": perspective,
    "lighting": lighting,
    "blur": blur,
    "noise": noise,
    "jpeg": jpeg,
}


def degrade(
    page: np.ndarray,
    boxes: Boxes,
    names: list[str],
    rng: np.random.Generator,
    strength: float,
    probability: float = 0.6,
) -> tuple[np.ndarray, Boxes]:
    """Apply each named step with ``probability``; return the page and moved boxes."""
    for name, step in STEPS.items():
        if name in names and rng.random() < probability:
            page, boxes = step(page, boxes, rng, strength)
    return np.clip(page, 0.0, 1.0), boxes
