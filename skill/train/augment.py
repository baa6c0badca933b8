"""Pieces every training view space is built from: crops, colour jitter, tensors, grey.

Used by SkiLL's and DINO's views (:mod:`skill.train.dino.views`) and by the colour-variant
views (:mod:`skill.train.variants.part_views`). A *view space* is a callable
``views(image, box, background, rng)`` returning the views of one photo; the wrappers here
turn one that returns PIL images into one that returns normalised tensors
(:class:`TensorViews`), or make every view grey (:class:`GrayscaleViews`).

Example:
    >>> box = random_resized_crop_box(160, 160, scale=(0.4, 1.0), rng=rng)
    >>> view = color_jitter(image.resize((128, 128), box=box), rng)
    >>> normalize_image(view).shape
    torch.Size([3, 128, 128])
"""

from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image, ImageEnhance

from skill.images.recolor import rotate_hue

Box = tuple[int, int, int, int]
"""``(left, top, right, bottom)`` in pixels, right and bottom exclusive."""


def normalize_image(image: Image.Image, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)) -> torch.Tensor:
    """Converts an RGB image to a normalised tensor of shape (3, height, width)."""
    array = np.asarray(image, dtype=np.float32) / 255.0
    array = (array - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


def random_resized_crop_box(
    width: int,
    height: int,
    scale: tuple[float, float],
    rng: np.random.Generator,
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> Box:
    """Draws a crop box as torchvision's ``RandomResizedCrop`` does.

    Args:
        width: Image width in pixels.
        height: Image height in pixels.
        scale: Range of the crop's area as a fraction of the image. E.g. (0.4, 1.0).
        rng: Random generator.
        ratio: Range of the crop's aspect ratio (width / height), sampled log-uniformly.

    Returns:
        ``(left, top, right, bottom)``.
    """
    area = width * height
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            left = int(rng.integers(0, width - w + 1))
            top = int(rng.integers(0, height - h + 1))
            return left, top, left + w, top + h
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def color_jitter(
    image: Image.Image,
    rng: np.random.Generator,
    brightness: float = 0.4,
    contrast: float = 0.4,
    saturation: float = 0.2,
    hue: float = 0.1,
) -> Image.Image:
    """torchvision's ``ColorJitter`` with DINO's strengths, in random order.

    Hue moves by at most ``hue`` of the circle (0.1 = 36 degrees), far from the whole circle a
    colourway spans.

    Args:
        image: An RGB image.
        rng: Random generator.
        brightness: Largest relative brightness change. Typical 0.2-0.8.
        contrast: Largest relative contrast change. Typical 0.2-0.8.
        saturation: Largest relative saturation change. Typical 0.2-0.8.
        hue: Largest hue shift as a fraction of the circle, at most 0.5. Typical 0.05-0.2.
    """
    ops = [
        lambda im: ImageEnhance.Brightness(im).enhance(rng.uniform(1 - brightness, 1 + brightness)),
        lambda im: ImageEnhance.Contrast(im).enhance(rng.uniform(1 - contrast, 1 + contrast)),
        lambda im: ImageEnhance.Color(im).enhance(rng.uniform(1 - saturation, 1 + saturation)),
        lambda im: rotate_hue(im, float(rng.uniform(-hue, hue)) * 360.0),
    ]
    for index in rng.permutation(len(ops)):
        image = ops[index](image)
    return image


class TensorViews:
    """Wraps a view space that returns PIL images (:mod:`skill.train.variants.part_views`) so
    it returns normalised tensors, all counted as global views, as
    :func:`skill.train.view_bank.build_view_bank` takes them."""

    num_local = 0

    def __init__(self, views) -> None:
        self.views = views
        self.num_global = len(getattr(views, "parts", ())) or views.num_views

    def __call__(self, image, box, background, rng) -> list[torch.Tensor]:
        return [normalize_image(view) for view in self.views(image, box, background, rng)]


class GrayscaleViews:
    """Wraps a view space so every view ends as grey (3 equal channels), for luminance-only
    encoders (``input_grayscale`` of the training configs).

    Works on the normalised tensors: the ITU-R 601 luma weights that Pillow's ``"L"`` mode
    uses are linear, and the normalisation is the same on every channel, so this equals
    converting the PIL view to grey before normalising (to Pillow's 8-bit rounding).
    """

    WEIGHTS = (0.299, 0.587, 0.114)

    def __init__(self, views) -> None:
        self.views = views
        self.num_global = getattr(views, "num_global", 2)
        self.num_local = views.num_local

    def __call__(self, image, box, background, rng) -> list[torch.Tensor]:
        weights = torch.tensor(self.WEIGHTS).view(3, 1, 1)
        return [
            (view * weights).sum(0, keepdim=True).expand(3, -1, -1).contiguous()
            for view in self.views(image, box, background, rng)
        ]
