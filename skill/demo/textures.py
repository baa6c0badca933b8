"""Fabric surface textures: small brightness fields (around 1) multiplied into the colour.

Each fabric has its own look at catalog resolution: jersey a fine grain, denim a diagonal twill
with vertical slubs and a washed-out middle, knit visible stitch columns, canvas a cross weave,
leather a mottled grain. Amplitudes are a few percent, so the print and colour stay readable.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

FABRIC_TEXTURES = ("jersey", "poplin", "oxford", "denim", "knit", "rib knit", "fleece", "crepe",
                   "twill", "canvas", "leather", "mesh")  # fmt: skip


def smooth_noise(
    shape: tuple[int, int], cell: float, rng: np.random.Generator, stretch: float = 1.0
) -> np.ndarray:
    """Return smooth noise with features about `cell` pixels wide, unit standard deviation.

    Args:
        shape: (height, width) in pixels.
        cell: Feature width in pixels. Typical values are in [2, 200].
        rng: Source of randomness.
        stretch: Feature height / width; above 1 gives vertical streaks such as hanging folds.
    """
    h, w = shape
    gh, gw = max(2, int(h / (cell * stretch)) + 2), max(2, int(w / cell) + 2)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    field = np.asarray(Image.fromarray(grid, mode="F").resize((w, h), Image.Resampling.BICUBIC))
    return field / (field.std() + 1e-6)


def fabric_texture(
    fabric: str, shape: tuple[int, int], px_per_unit: float, rng: np.random.Generator
) -> np.ndarray:
    """Return a fabric's brightness texture.

    Args:
        fabric: One of `FABRIC_TEXTURES`.
        shape: (height, width) in pixels.
        px_per_unit: Pixels per frame unit; sets the weave period so fabrics look alike at any size.
        rng: Source of randomness (seeded per design, so colourways share the texture).

    Returns:
        Multiplicative brightness, about 1. Shape (height, width), float32.
    """
    if fabric not in FABRIC_TEXTURES:
        raise ValueError(f"unknown fabric {fabric!r}; choose one of {FABRIC_TEXTURES}")
    h, w = shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    grain = rng.standard_normal(shape).astype(np.float32)
    period = max(2.2, 0.55 * px_per_unit)  # weave repeat in pixels
    mottle = smooth_noise(shape, 18 * px_per_unit, rng)
    if fabric == "denim":
        twill = np.sin(2 * np.pi * (x + y) / (period * 1.3))
        slub = np.asarray(  # vertical streaks
            Image.fromarray(smooth_noise((8, w), 1.2, rng), mode="F").resize((w, h))
        )
        return 1 + 0.05 * twill + 0.025 * slub + 0.03 * grain + 0.03 * mottle
    if fabric in ("knit", "rib knit"):
        column = np.abs(np.sin(np.pi * x / (period * 1.3)))
        chevron = np.sin(2 * np.pi * (y / (period * 1.1) + 0.5 * column))
        strength = 0.06 if fabric == "knit" else 0.0
        rib = 0.08 * (column - 0.6) if fabric == "rib knit" else 0.04 * (column - 0.6)
        return 1 + strength * chevron + rib + 0.02 * grain + 0.02 * mottle
    if fabric in ("oxford", "canvas"):
        weave = np.sin(2 * np.pi * x / period) * np.sin(2 * np.pi * y / period)
        amp = 0.05 if fabric == "canvas" else 0.035
        return 1 + amp * weave + 0.03 * grain + 0.025 * mottle
    if fabric == "twill":
        return (
            1 + 0.03 * np.sin(2 * np.pi * (x - y) / (period * 1.2)) + 0.02 * grain + 0.02 * mottle
        )
    if fabric == "leather":
        return 1 + 0.035 * smooth_noise(shape, 1.5, rng) + 0.015 * grain + 0.04 * mottle
    if fabric == "mesh":
        holes = np.sin(2 * np.pi * x / (period * 1.6)) * np.sin(
            2 * np.pi * (y + 0.5 * x) / (period * 1.6)
        )
        return 1 - 0.07 * np.clip(holes, 0, 1) + 0.02 * grain
    amp = {"jersey": 0.03, "poplin": 0.018, "fleece": 0.02, "crepe": 0.04}[fabric]
    return 1 + amp * grain + 0.02 * mottle


def rib_texture(shape: tuple[int, int], px_per_unit: float) -> np.ndarray:
    """Return the vertical ridges of ribbed cuffs, hems and necks. Shape (height, width)."""
    x = np.arange(shape[1], dtype=np.float32)
    ridges = 1 + 0.07 * np.sin(2 * np.pi * x / max(2.5, 0.45 * px_per_unit))
    return np.broadcast_to(ridges, shape)
