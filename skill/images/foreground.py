"""Foreground box of a packshot: where the product is, from its difference to the background.

Catalog photos show one product on a plain studio background. The background colour is the
median colour of the photo's border (:func:`skill.images.preprocess.border_color`); a pixel belongs to
the product when any channel differs from it by more than ``threshold``. The box is the span of
rows and columns holding at least ``min_fraction`` of product pixels, which ignores JPEG noise
and thin shadows.

Example:
    >>> box, background = estimate_foreground_box(image)
    >>> left, top, right, bottom = box
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from skill.images.preprocess import border_color


def estimate_foreground_box(
    image: Image.Image, threshold: int = 24, min_fraction: float = 0.02
) -> tuple[tuple[int, int, int, int], tuple[int, int, int]]:
    """Estimates the product's bounding box.

    Args:
        image: An RGB photo of a product on a plain background.
        threshold: Largest per-channel difference (0-255) still counted as background.
            Typical 16-40: lower catches pale garments on white, higher ignores shadows.
        min_fraction: Share of a row (column) that must be foreground for the row (column) to
            count. Typical 0.01-0.05.

    Returns:
        ``((left, top, right, bottom), background)``: the box in pixels, right and bottom
        exclusive, and the background colour. The whole image when nothing stands out.
    """
    array = np.asarray(image.convert("RGB"), dtype=np.int16)
    background = border_color(image)
    mask = (np.abs(array - np.asarray(background, dtype=np.int16)).max(axis=-1)) > threshold
    height, width = mask.shape
    rows = np.flatnonzero(mask.mean(axis=1) >= min_fraction)
    cols = np.flatnonzero(mask.mean(axis=0) >= min_fraction)
    if len(rows) < 2 or len(cols) < 2:
        return (0, 0, width, height), background
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1), background
