"""Dominant colour of a product photo, ignoring the background, with a plain colour name.

The background is estimated as the median colour of the photo's border; pixels far from it
(in CIELAB) are the product. The product's pixels are clustered (a few rounds of k-means in
Lab) and the largest cluster's mean is the dominant colour. Its name is the nearest entry of
:data:`COLOR_NAMES` (a retail palette) by CIEDE76 distance.

Example:
    >>> swatch = dominant_color(load_image("dress.jpg"))
    >>> swatch.hex, swatch.name
    ('#1f2a44', 'Navy')
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image

COLOR_NAMES: dict[str, str] = {
    "Black": "#141414",
    "Charcoal": "#3c3c3e",
    "Grey": "#8a8a8a",
    "Light Grey": "#c8c8c8",
    "White": "#f5f5f2",
    "Off White": "#ece6d6",
    "Beige": "#d6c3a0",
    "Khaki": "#a89a6a",
    "Brown": "#6b4429",
    "Camel": "#b5834d",
    "Navy": "#1f2a44",
    "Dark Blue": "#1d3a78",
    "Blue": "#2f6fd0",
    "Light Blue": "#9cc3e6",
    "Turquoise": "#2fb3b0",
    "Dark Green": "#1f4a2e",
    "Green": "#3a8c3f",
    "Olive": "#6b6b2e",
    "Light Green": "#a8d5a0",
    "Yellow": "#f2d13a",
    "Mustard": "#c99a1e",
    "Orange": "#e8762c",
    "Red": "#c8202a",
    "Dark Red": "#7a1620",
    "Burgundy": "#5e1a2e",
    "Pink": "#e98aa8",
    "Light Pink": "#f4c7d2",
    "Fuchsia": "#c8237c",
    "Purple": "#6a2f8c",
    "Lilac": "#b9a2d6",
}


@dataclass(frozen=True)
class Swatch:
    """A dominant colour: hex code, plain name and the product's share of the photo."""

    hex: str
    name: str
    coverage: float


def dominant_color(image: Image.Image, size: int = 96, clusters: int = 4) -> Swatch:
    """Finds the product's dominant colour.

    Args:
        image: An RGB photo.
        size: Longer side the photo is reduced to first (speed). Typical 64-128.
        clusters: k of the k-means over product pixels. Typical 3-5.

    Returns:
        A :class:`Swatch`. If nothing stands out from the background, the background colour.
    """
    small = image.copy() if image.mode == "RGB" else image.convert("RGB")  # thumbnail is in place
    small.thumbnail((size, size), Image.Resampling.BILINEAR)
    lab = _linear_to_lab(_SRGB_TO_LINEAR[np.asarray(small).reshape(-1, 3)])
    mask = _far_from_border(lab.reshape(small.height, small.width, 3)).reshape(-1)
    coverage = float(mask.mean())
    pixels = lab[mask] if mask.sum() >= 16 else lab
    centre = _largest_cluster_mean(pixels, clusters)
    hex_code = _lab_to_hex(centre)
    return Swatch(hex=hex_code, name=nearest_color_name(centre), coverage=coverage)


def foreground_mask(rgb: np.ndarray, threshold: float = 12.0) -> np.ndarray:
    """Pixels whose Lab distance from the median border colour exceeds ``threshold``.

    Args:
        rgb: Shape (height, width, 3), uint8.
        threshold: CIEDE76 distance. Typical 8-20: lower catches pale products on white, and
            also shadows.

    Returns:
        Shape (height, width), bool.
    """
    height, width, _ = rgb.shape
    lab = _linear_to_lab(_SRGB_TO_LINEAR[rgb.reshape(-1, 3)]).reshape(height, width, 3)
    return _far_from_border(lab, threshold)


def _far_from_border(lab: np.ndarray, threshold: float = 12.0) -> np.ndarray:
    frame = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    background = np.median(frame, axis=0)
    return np.linalg.norm(lab - background, axis=-1) > threshold


def nearest_color_name(lab: np.ndarray) -> str:
    """Name in :data:`COLOR_NAMES` closest to a Lab colour."""
    names, palette = _palette()
    return names[int(np.argmin(np.linalg.norm(palette - lab, axis=1)))]


@functools.cache
def _palette() -> tuple[list[str], np.ndarray]:
    names = list(COLOR_NAMES)
    return names, rgb_to_lab(np.asarray([_hex_to_rgb(COLOR_NAMES[n]) for n in names]))


def _largest_cluster_mean(pixels: np.ndarray, clusters: int, rounds: int = 8) -> np.ndarray:
    # Lloyd's k-means in float64, sums by bincount: a handful of numpy calls per round, as
    # this runs once per photo of every build (about 4x faster than masked means per cluster).
    rng = np.random.default_rng(0)
    k = min(clusters, len(pixels))
    x = np.asarray(pixels, np.float64)
    centres = x[rng.choice(len(x), size=k, replace=False)]
    squared = (x**2).sum(axis=1)[:, None]

    def assign(centres: np.ndarray) -> np.ndarray:
        return np.argmin(squared - 2 * x @ centres.T + (centres**2).sum(axis=1), axis=1)

    labels = assign(centres)
    for _ in range(rounds):
        counts = np.bincount(labels, minlength=k)
        sums = np.stack([np.bincount(labels, x[:, c], minlength=k) for c in range(3)], axis=1)
        centres = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centres)
        moved, labels = labels, assign(centres)
        if np.array_equal(labels, moved):  # a fixed point: the rounds left would change nothing
            break
    return centres[np.bincount(labels, minlength=k).argmax()].astype(np.float32)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1], shape (..., 3), to CIELAB (D65)."""
    return _linear_to_lab(_srgb_to_linear(np.asarray(rgb, dtype=np.float32)))


def _srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


_SRGB_TO_LINEAR = _srgb_to_linear(np.arange(256, dtype=np.float32) / 255.0)
"""Linear light of each 8-bit sRGB level: a photo's pixels are looked up, not raised to 2.4."""


def _linear_to_lab(linear: np.ndarray) -> np.ndarray:
    matrix = np.asarray(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]],
        dtype=np.float32,
    )
    xyz = linear @ matrix.T / np.asarray([0.95047, 1.0, 1.08883], dtype=np.float32)
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB (D65), shape (..., 3), to sRGB in [0, 1] (clipped)."""
    lab = np.asarray(lab, dtype=np.float32)
    fy = (lab[..., 0] + 16) / 116
    fx, fz = fy + lab[..., 1] / 500, fy - lab[..., 2] / 200
    f = np.stack([fx, fy, fz], axis=-1)
    xyz = np.where(f**3 > 0.008856, f**3, (f - 16 / 116) / 7.787)
    xyz = xyz * np.asarray([0.95047, 1.0, 1.08883], dtype=np.float32)
    inverse = np.asarray(
        [[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]],
        dtype=np.float32,
    )
    linear = np.clip(xyz @ inverse.T, 0, 1)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def _lab_to_hex(lab: np.ndarray) -> str:
    r, g, b = (np.clip(lab_to_rgb(lab), 0, 1) * 255).round().astype(int)
    return f"#{r:02x}{g:02x}{b:02x}"


def _hex_to_rgb(code: str) -> tuple[float, float, float]:
    code = code.lstrip("#")
    return tuple(int(code[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
