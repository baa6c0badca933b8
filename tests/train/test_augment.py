"""Shared view pieces: crop boxes, DINO's colour jitter, the grey wrapper."""

import numpy as np
import torch
from PIL import Image

from skill.images.recolor import rotate_hue
from skill.train.augment import (
    GrayscaleViews,
    color_jitter,
    normalize_image,
    random_resized_crop_box,
)
from skill.train.dino.views import SkillViews


def test_crop_boxes_lie_inside_the_image_within_the_area_range():
    rng = np.random.default_rng(0)
    for _ in range(200):
        left, top, right, bottom = random_resized_crop_box(60, 40, (0.3, 0.9), rng)
        assert 0 <= left < right <= 60 and 0 <= top < bottom <= 40
        assert 0.2 <= (right - left) * (bottom - top) / 2400 <= 1.0


def test_color_jitter_with_only_hue_is_a_hue_rotation_within_its_range():
    image = Image.new("RGB", (4, 4), (200, 40, 40))
    out = color_jitter(image, np.random.default_rng(0), 0.0, 0.0, 0.0, hue=0.1)
    candidates = [np.asarray(rotate_hue(image, a)) for a in np.linspace(-36, 36, 73)]
    assert min(np.abs(np.asarray(out).astype(int) - c).max() for c in candidates) <= 3


def test_grayscale_views_equal_pillow_grey_of_the_same_views():
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8))
    space = SkillViews(16, 8, num_local=2, blur_prob=0.0)
    grey = GrayscaleViews(space)(image, (5, 5, 35, 35), (255, 255, 255), np.random.default_rng(1))
    colour = space(image, (5, 5, 35, 35), (255, 255, 255), np.random.default_rng(1))
    assert len(grey) == 4 and GrayscaleViews(space).num_local == 2
    for g, c in zip(grey, colour, strict=True):
        assert torch.equal(g[0], g[1]) and torch.equal(g[1], g[2])
        # The same view converted by Pillow: equal to its 8-bit rounding (2/255 normalised).
        pil = Image.fromarray(
            ((c.permute(1, 2, 0).numpy() * 0.5 + 0.5) * 255).round().astype(np.uint8)
        )
        expected = normalize_image(pil.convert("L").convert("RGB"))
        assert (g - expected).abs().max() < 2.5 / 127.5
