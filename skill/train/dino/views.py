"""Augmentation spaces of SkiLL and of the plain-DINO ablation: multi-crop views of one photo.

SkiLL (Vadlamudi et al., "SkiLL: Skipping Color and Label Landscape: Self Supervised Design
Representations for Products in E-commerce", CVPR Workshops 2023) learns a product's design by
making its views differ in everything a design does not fix:

- Global augmentation space (:meth:`SkillViews.global_view`): geometric and photometric changes
  that keep the design (random resized crop of the padded photo with scale in
  ``global_scale``, horizontal flip, rotation up to ``rotation_degrees`` filled with the
  background colour, Gaussian blur) plus the colour changes a colour variant shows
  (:meth:`SkillViews.recolor_view`): hue rotated by any angle on the whole circle, RGB
  channels permuted, grayscale, saturation and brightness scaled, and sometimes the product's
  pixels inverted (a black and a white colourway of one design differ roughly so).
- Task-specific local augmentation space (:meth:`SkillViews.local_box`): small views where
  design details live. A random local crop of a packshot mostly shows empty background, which
  teaches nothing; so local views are squares centred on *design anchors* placed relative to
  the product's foreground box (:mod:`skill.images.foreground`): neckline/waistband (top
  centre), both shoulders/sleeves (upper sides), chest print (upper centre), both pockets
  (lower sides) and hem (bottom centre), jittered by ``local_jitter`` of the box size, with
  side ``local_scale`` of the box's longer side, shifted and shrunk to lie inside the box.
  Local views get the same colour space, so details are matched across colourways too.

The plain-DINO ablation (:class:`DINOViews`, Caron et al., "Emerging Properties in
Self-Supervised Vision Transformers", ICCV 2021) uses DINO's standard recipe: random resized
crops (globals scale 0.4-1, locals 0.05-0.4) anywhere in the photo, flip, colour jitter
(brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1, p=0.8), grayscale p=0.2, blur and
solarisation.

Example:
    >>> views = SkillViews(global_size=128, local_size=64, num_local=4)
    >>> crops = views(image, box, background, np.random.default_rng(0))
    >>> [c.shape for c in crops][:3]
    [torch.Size([3, 128, 128]), torch.Size([3, 128, 128]), torch.Size([3, 64, 64])]
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from skill.encoders.polarity import PRODUCT_THRESHOLD
from skill.images.recolor import CHANNEL_ORDERS, permute_channels, rotate_hue, to_grayscale
from skill.train.augment import Box, color_jitter, normalize_image, random_resized_crop_box

DESIGN_ANCHORS: dict[str, tuple[float, float]] = {
    "neckline": (0.5, 0.08),
    "left_sleeve": (0.15, 0.3),
    "right_sleeve": (0.85, 0.3),
    "print": (0.5, 0.38),
    "left_pocket": (0.3, 0.65),
    "right_pocket": (0.7, 0.65),
    "hem": (0.5, 0.92),
}
"""Where design details sit, as (x, y) fractions of the foreground box."""


class SkillViews:
    """SkiLL's global and task-specific local augmentation spaces (see module docstring).

    Args:
        global_size: Side of global views in pixels. Typical 128-224.
        local_size: Side of local views. Typical 64-96.
        num_global: Global views per photo (the teacher sees these). Usually 2.
        num_local: Local views per photo. Typical 2-8; each costs about
            (local_size / global_size)^2 of a global view.
        global_scale: Area range of the global random resized crop. Typical (0.4, 1.0).
        rotation_degrees: Largest rotation of a global view. Typical 0-15.
        blur_prob: Probability of a Gaussian blur on a view. Typical 0.1-0.5.
        hue_prob: Probability of a hue rotation by a uniform angle in [0, 360). Typical 0.5-1.
        channel_permute_prob: Probability of a random RGB channel permutation. Typical 0.2-0.5.
        grayscale_prob: Probability of converting to grey. Typical 0.1-0.3.
        saturation_range: Range of the saturation factor (1 keeps it). Typical (0.3, 1.7).
        brightness_range: Range of the brightness factor. Typical (0.6, 1.4).
        invert_prob: Probability of inverting the product's pixels (background kept).
            Typical 0-0.2.
        local_scale: Range of a local view's side, as a fraction of the foreground box's longer
            side. Typical (0.2, 0.5).
        local_jitter: Largest shift of a local view's centre from its anchor, as a fraction of
            the box size. Typical 0.05-0.2.
    """

    def __init__(
        self,
        global_size: int = 128,
        local_size: int = 64,
        num_global: int = 2,
        num_local: int = 4,
        global_scale: tuple[float, float] = (0.5, 1.0),
        rotation_degrees: float = 10.0,
        blur_prob: float = 0.3,
        hue_prob: float = 0.8,
        channel_permute_prob: float = 0.4,
        grayscale_prob: float = 0.2,
        saturation_range: tuple[float, float] = (0.4, 1.6),
        brightness_range: tuple[float, float] = (0.6, 1.4),
        invert_prob: float = 0.1,
        local_scale: tuple[float, float] = (0.25, 0.5),
        local_jitter: float = 0.1,
    ) -> None:
        if num_global < 1 or num_local < 0:
            raise ValueError("need num_global >= 1 and num_local >= 0")
        for name, value in (
            ("blur_prob", blur_prob),
            ("hue_prob", hue_prob),
            ("channel_permute_prob", channel_permute_prob),
            ("grayscale_prob", grayscale_prob),
            ("invert_prob", invert_prob),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        self.global_size = global_size
        self.local_size = local_size
        self.num_global = num_global
        self.num_local = num_local
        self.global_scale = global_scale
        self.rotation_degrees = rotation_degrees
        self.blur_prob = blur_prob
        self.hue_prob = hue_prob
        self.channel_permute_prob = channel_permute_prob
        self.grayscale_prob = grayscale_prob
        self.saturation_range = saturation_range
        self.brightness_range = brightness_range
        self.invert_prob = invert_prob
        self.local_scale = local_scale
        self.local_jitter = local_jitter

    def __call__(
        self,
        image: Image.Image,
        box: Box,
        background: tuple[int, int, int],
        rng: np.random.Generator,
    ) -> list[torch.Tensor]:
        """Draws all views of one photo.

        Args:
            image: The padded square photo.
            box: Its foreground box ``(left, top, right, bottom)``.
            background: Its background colour.
            rng: Random generator.

        Returns:
            ``num_global`` tensors of shape (3, global_size, global_size), then ``num_local``
            of shape (3, local_size, local_size).
        """
        views = [self.global_view(image, background, rng) for _ in range(self.num_global)]
        for _ in range(self.num_local):
            crop = image.crop(self.local_box(box, rng))
            crop = crop.resize((self.local_size, self.local_size), Image.Resampling.BILINEAR)
            if rng.random() < 0.5:
                crop = ImageOps.mirror(crop)
            views.append(self.recolor_view(crop, background, rng))
        return [normalize_image(view) for view in views]

    def global_view(
        self, image: Image.Image, background: tuple[int, int, int], rng: np.random.Generator
    ) -> Image.Image:
        """One global view as an RGB image of side ``global_size``."""
        if self.rotation_degrees > 0:
            angle = float(rng.uniform(-self.rotation_degrees, self.rotation_degrees))
            image = image.rotate(angle, Image.Resampling.BILINEAR, fillcolor=background)
        crop = random_resized_crop_box(*image.size, self.global_scale, rng)
        view = image.resize(
            (self.global_size, self.global_size), Image.Resampling.BILINEAR, box=crop
        )
        if rng.random() < 0.5:
            view = ImageOps.mirror(view)
        if rng.random() < self.blur_prob:
            view = view.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.1, 1.2))))
        return self.recolor_view(view, background, rng)

    def recolor_view(
        self, image: Image.Image, background: tuple[int, int, int], rng: np.random.Generator
    ) -> Image.Image:
        """Applies the colour-variant space; a per-pixel map, so the grey structure stays.

        Every change here is a function of a pixel's own colour: pixels of equal colour stay
        equal, edges stay where they were, only colours move.
        """
        if rng.random() < self.invert_prob:
            image = invert_foreground(image, background)
        if rng.random() < self.hue_prob:
            image = rotate_hue(image, float(rng.uniform(0.0, 360.0)))
        if rng.random() < self.channel_permute_prob:
            image = permute_channels(image, CHANNEL_ORDERS[int(rng.integers(len(CHANNEL_ORDERS)))])
        image = ImageEnhance.Color(image).enhance(float(rng.uniform(*self.saturation_range)))
        image = ImageEnhance.Brightness(image).enhance(float(rng.uniform(*self.brightness_range)))
        if rng.random() < self.grayscale_prob:
            image = to_grayscale(image)
        return image

    def local_box(self, box: Box, rng: np.random.Generator) -> Box:
        """Draws a local view's square inside the foreground box, centred near a design anchor.

        Args:
            box: Foreground ``(left, top, right, bottom)``, right and bottom exclusive.
            rng: Random generator.

        Returns:
            ``(left, top, right, bottom)`` lying inside ``box``.
        """
        left, top, right, bottom = box
        width, height = right - left, bottom - top
        side = rng.uniform(*self.local_scale) * max(width, height)
        side = int(max(1, min(round(side), width, height)))
        anchor_x, anchor_y = list(DESIGN_ANCHORS.values())[int(rng.integers(len(DESIGN_ANCHORS)))]
        center_x = left + (anchor_x + rng.uniform(-self.local_jitter, self.local_jitter)) * width
        center_y = top + (anchor_y + rng.uniform(-self.local_jitter, self.local_jitter)) * height
        x0 = int(round(min(max(center_x - side / 2, left), right - side)))
        y0 = int(round(min(max(center_y - side / 2, top), bottom - side)))
        return x0, y0, x0 + side, y0 + side


def invert_foreground(
    image: Image.Image,
    background: tuple[int, int, int],
    threshold: int = round(PRODUCT_THRESHOLD * 255),
) -> Image.Image:
    """Inverts the product's pixels and keeps the background (dark colourway <-> light one);
    the encoders' polarity views do the same inside the network
    (:func:`skill.encoders.polarity.invert_product`)."""
    array = np.asarray(image.convert("RGB"))
    mask = np.abs(array.astype(np.int16) - np.asarray(background, np.int16)).max(-1) > threshold
    out = array.copy()
    out[mask] = 255 - out[mask]
    return Image.fromarray(out, "RGB")


class DINOViews:
    """DINO's standard multi-crop augmentations, for the ablation (see module docstring).

    Args:
        global_size: Side of global views. Typical 128-224.
        local_size: Side of local views. Typical 64-96.
        num_global: Global views (2 in DINO).
        num_local: Local views. Typical 2-10.
        global_scale: Area range of global crops; DINO's default (0.4, 1.0).
        local_scale: Area range of local crops; DINO's default (0.05, 0.4).
        color_jitter_prob: Probability of colour jitter (0.8 in DINO).
        grayscale_prob: Probability of grayscale (0.2 in DINO).
    """

    def __init__(
        self,
        global_size: int = 128,
        local_size: int = 64,
        num_global: int = 2,
        num_local: int = 4,
        global_scale: tuple[float, float] = (0.4, 1.0),
        local_scale: tuple[float, float] = (0.05, 0.4),
        color_jitter_prob: float = 0.8,
        grayscale_prob: float = 0.2,
    ) -> None:
        self.global_size = global_size
        self.local_size = local_size
        self.num_global = num_global
        self.num_local = num_local
        self.global_scale = global_scale
        self.local_scale = local_scale
        self.color_jitter_prob = color_jitter_prob
        self.grayscale_prob = grayscale_prob

    def __call__(
        self,
        image: Image.Image,
        box: Box,
        background: tuple[int, int, int],
        rng: np.random.Generator,
    ) -> list[torch.Tensor]:
        """Draws all views; ``box`` and ``background`` are ignored (DINO knows neither)."""
        del box, background
        blur = self.global_size / 224 * 2.0  # DINO's blur radius 0.1-2 at 224 px, scaled
        views = []
        for i in range(self.num_global):
            view = self._view(image, self.global_size, self.global_scale, rng)
            if rng.random() < (1.0 if i == 0 else 0.1):
                view = view.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.1, blur))))
            if i == 1 and rng.random() < 0.2:
                view = ImageOps.solarize(view, 128)
            views.append(view)
        for _ in range(self.num_local):
            view = self._view(image, self.local_size, self.local_scale, rng)
            if rng.random() < 0.5:
                view = view.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.1, blur / 2))))
            views.append(view)
        return [normalize_image(view) for view in views]

    def recolor_view(
        self, image: Image.Image, background: tuple[int, int, int], rng: np.random.Generator
    ) -> Image.Image:
        """DINO's photometric changes alone: colour jitter (p=0.8), then grey (p=0.2)."""
        del background
        if rng.random() < self.color_jitter_prob:
            image = color_jitter(image, rng)
        if rng.random() < self.grayscale_prob:
            image = to_grayscale(image)
        return image

    def _view(
        self, image: Image.Image, size: int, scale: tuple[float, float], rng: np.random.Generator
    ) -> Image.Image:
        crop = random_resized_crop_box(*image.size, scale, rng)
        view = image.resize((size, size), Image.Resampling.BICUBIC, box=crop)
        if rng.random() < 0.5:
            view = ImageOps.mirror(view)
        return self.recolor_view(view, (0, 0, 0), rng)
