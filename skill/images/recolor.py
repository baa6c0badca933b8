"""Recolourings: the changes a colour variant of a product shows, applied to a photo.

Used by the colour-invariance score (:mod:`skill.evaluation.protocol`) and by the training augmentations.
Each keeps the design (shape, print geometry, texture) and changes only colour.

Example:
    >>> variants = [recolor(image, name) for name in RECOLORINGS]
"""

from __future__ import annotations

import numpy as np
from PIL import Image

CHANNEL_ORDERS = ((0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))
RECOLORINGS = ("hue-180", "channels-gbr", "grayscale")
"""The fixed recolourings of the colour-invariance score."""


def rotate_hue(image: Image.Image, degrees: float) -> Image.Image:
    """Rotates every pixel's hue by ``degrees``; saturation and value stay."""
    hsv = np.asarray(image.convert("RGB").convert("HSV")).copy()
    shift = int(round(degrees / 360.0 * 256)) % 256
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + shift) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def permute_channels(image: Image.Image, order: tuple[int, int, int]) -> Image.Image:
    """Reorders the RGB channels, e.g. ``(1, 2, 0)`` gives GBR."""
    if sorted(order) != [0, 1, 2]:
        raise ValueError(f"order must be a permutation of (0, 1, 2), got {order}")
    array = np.asarray(image.convert("RGB"))
    return Image.fromarray(np.ascontiguousarray(array[..., list(order)]), "RGB")


def to_grayscale(image: Image.Image) -> Image.Image:
    """Luma only, kept as three equal channels."""
    return image.convert("L").convert("RGB")


def recolor(image: Image.Image, name: str) -> Image.Image:
    """Applies one of the named :data:`RECOLORINGS`."""
    if name == "hue-180":
        return rotate_hue(image, 180)
    if name == "channels-gbr":
        return permute_channels(image, (1, 2, 0))
    if name == "grayscale":
        return to_grayscale(image)
    raise ValueError(f"unknown recolouring {name!r}; choose one of {RECOLORINGS}")
