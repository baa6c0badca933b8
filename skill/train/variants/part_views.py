"""Views for contrastive colour-variant learning: fixed product parts vs random crops.

Part-based views (:class:`PartViews`) follow Dutta et al., "Color Variants Identification via
Contrastive Self-Supervised Representation Learning" (Myntra, 2021) and its extension "A Tale
of Color Variants" (AAAI 2022): the positives of a photo are *fixed parts of the same product*
(the whole foreground box, its upper and lower half, its left and right half), each under an
independent random recolouring. The whole box comes first, so ``views=4`` takes whole, upper,
lower and left: the encoder is applied to whole photos, and a head trained on half-garments
alone never sees one (7 points of hit@1 below random crops on frozen features). Matching the
upper half of a shirt to its lower half in another colour rewards what the whole garment shares
(fabric, print, cut) and not its colour.

The baseline (:class:`RandomCropViews`) is SimCLR's augmentation (Chen et al., "A Simple
Framework for Contrastive Learning of Visual Representations", ICML 2020): random resized
crops (area 0.2-1, MoCo v2's range; SimCLR's is 0.08-1), horizontal flip, colour jitter of strength
``jitter_strength`` with probability 0.8 and grayscale with probability 0.2.

Both return PIL images of side ``view_size``; :func:`skill.train.augment.normalize_image`
turns them into tensors.

Example:
    >>> views = PartViews(view_size=128)
    >>> parts = views(image, box, background, np.random.default_rng(0))
    >>> [p.size for p in parts]
    [(128, 128), (128, 128), (128, 128), (128, 128)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from skill.images.recolor import CHANNEL_ORDERS, permute_channels, rotate_hue, to_grayscale
from skill.train.augment import color_jitter, random_resized_crop_box

Box = tuple[int, int, int, int]
PARTS = ("whole", "upper", "lower", "left", "right")


def part_box(box: Box, part: str) -> Box:
    """The ``part`` of a foreground box ``(left, top, right, bottom)``, one of :data:`PARTS`."""
    left, top, right, bottom = box
    mid_x, mid_y = (left + right) // 2, (top + bottom) // 2
    boxes = {
        "whole": box,
        "upper": (left, top, right, max(mid_y, top + 1)),
        "lower": (left, min(mid_y, bottom - 1), right, bottom),
        "left": (left, top, max(mid_x, left + 1), bottom),
        "right": (min(mid_x, right - 1), top, right, bottom),
    }
    if part not in boxes:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    return boxes[part]


def square_crop(
    image: Image.Image, box: Box, size: int, background: tuple[int, int, int]
) -> Image.Image:
    """Crops ``box`` and pads it to a square with ``background`` (no distortion), then resizes."""
    crop = image.crop(box)
    side = max(crop.size)
    canvas = Image.new("RGB", (side, side), background)
    canvas.paste(crop, ((side - crop.size[0]) // 2, (side - crop.size[1]) // 2))
    return canvas.resize((size, size), Image.Resampling.BILINEAR)


def random_recolor(
    image: Image.Image, rng: np.random.Generator, grayscale_prob: float = 0.2
) -> Image.Image:
    """A random colourway: hue rotated uniformly, channels permuted half the time, or grey."""
    if rng.random() < grayscale_prob:
        return to_grayscale(image)
    image = rotate_hue(image, float(rng.uniform(0.0, 360.0)))
    if rng.random() < 0.5:
        image = permute_channels(image, CHANNEL_ORDERS[int(rng.integers(len(CHANNEL_ORDERS)))])
    return image


@dataclass(frozen=True)
class PartViews:
    """Fixed parts of the product's foreground box, each recoloured at random.

    Attributes:
        view_size: Side of each view in pixels. Typical 96-224.
        parts: Which parts, from :data:`PARTS`; one view each.
        recolor_prob: Probability a part is recoloured. Typical 0.5-1.
        grayscale_prob: Share of recolourings that are grayscale. Typical 0.1-0.3.
    """

    view_size: int = 128
    parts: tuple[str, ...] = PARTS
    recolor_prob: float = 1.0
    grayscale_prob: float = 0.2

    def __call__(
        self,
        image: Image.Image,
        box: Box,
        background: tuple[int, int, int],
        rng: np.random.Generator,
    ) -> list[Image.Image]:
        views = []
        for part in self.parts:
            view = square_crop(image, part_box(box, part), self.view_size, background)
            if rng.random() < self.recolor_prob:
                view = random_recolor(view, rng, self.grayscale_prob)
            views.append(view)
        return views


@dataclass(frozen=True)
class RandomCropViews:
    """SimCLR's augmentation: random resized crop, flip, colour jitter, random grayscale.

    Attributes:
        view_size: Side of each view in pixels. Typical 96-224.
        num_views: Views per photo. Use as many as :class:`PartViews` has parts for an equal
            budget.
        scale: Area range of the crop as a fraction of the photo. SimCLR uses (0.08, 1.0),
            MoCo v2 (0.2, 1.0).
        jitter_strength: SimCLR's ``s``: brightness, contrast and saturation 0.8 s, hue 0.2 s.
            Typical 0.5-1.0.
    """

    view_size: int = 128
    num_views: int = 4
    scale: tuple[float, float] = (0.2, 1.0)
    jitter_strength: float = 1.0

    def __call__(
        self,
        image: Image.Image,
        box: Box,
        background: tuple[int, int, int],
        rng: np.random.Generator,
    ) -> list[Image.Image]:
        s = self.jitter_strength
        views = []
        for _ in range(self.num_views):
            crop = random_resized_crop_box(*image.size, self.scale, rng)
            view = image.resize(
                (self.view_size, self.view_size), Image.Resampling.BILINEAR, box=crop
            )
            if rng.random() < 0.5:
                view = ImageOps.mirror(view)
            if rng.random() < 0.8:
                view = color_jitter(view, rng, 0.8 * s, 0.8 * s, 0.8 * s, min(0.2 * s, 0.5))
            if rng.random() < 0.2:
                view = to_grayscale(view)
            views.append(view)
        return views
