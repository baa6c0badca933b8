"""Tests of skill.images.clutter: silhouettes of packshots and deterministic cluttered copies."""

import numpy as np
from PIL import Image, ImageDraw

from skill.images.clutter import (
    BACKGROUND_KINDS,
    clutter_background,
    clutter_rng,
    paste_on_clutter,
    product_mask,
)


def _packshot(fill=(40, 60, 160), size=(120, 180)) -> Image.Image:
    image = Image.new("RGB", size, (245, 245, 243))
    ImageDraw.Draw(image).rectangle((30, 40, 90, 150), fill=fill)
    return image


def test_the_mask_is_the_product_with_its_holes_filled():
    image = _packshot()
    ImageDraw.Draw(image).rectangle((50, 80, 70, 100), fill=(245, 245, 243))  # a "hole" in it
    mask = product_mask(image, work_size=180)
    truth = np.zeros((180, 120), bool)
    truth[40:151, 30:91] = True
    near = np.zeros((180, 120), bool)
    near[37:154, 27:94] = True  # edges blur the outline by a pixel or two
    assert mask[truth].all() and not mask[~near].any()


def test_a_white_product_on_white_keeps_a_silhouette():
    image = _packshot(fill=(236, 236, 234))
    ImageDraw.Draw(image).rectangle((30, 40, 90, 150), outline=(200, 200, 200))  # faint edge
    mask = product_mask(image, work_size=180)
    assert mask[40:151, 30:91].mean() > 0.8 and mask[:30].mean() < 0.05


def test_clutter_is_deterministic_and_puts_the_product_where_the_mask_says():
    image = _packshot()
    mask = product_mask(image)
    first, where = paste_on_clutter(image, mask, np.random.default_rng(3))
    again, where_again = paste_on_clutter(image, mask, np.random.default_rng(3))
    assert np.array_equal(np.asarray(first), np.asarray(again)) and np.array_equal(
        where, where_again
    )
    pixels = np.asarray(first, np.int16)
    inside = pixels[where].reshape(-1, 3)
    assert np.abs(np.median(inside, axis=0) - (40, 60, 160)).max() < 12
    assert 0.5 * mask.sum() <= where.sum() <= 1.05 * mask.sum()  # scaled by 0.7-1.0


def test_backgrounds_are_busy_and_vary_with_the_seed():
    kinds = set()
    for seed in range(12):
        rng = np.random.default_rng(seed)
        background = np.asarray(clutter_background(90, 120, rng), np.float32)
        assert background.shape == (120, 90, 3)
        assert background.std() > 5  # not a plain studio wall
    kinds = {BACKGROUND_KINDS[int(np.random.default_rng(s).integers(6))] for s in range(40)}
    assert kinds == set(BACKGROUND_KINDS)


def test_each_photo_gets_its_own_reproducible_clutter():
    a = clutter_rng(0, "images/a.jpg").random(3)
    assert np.array_equal(a, clutter_rng(0, "images/a.jpg").random(3))
    assert not np.array_equal(a, clutter_rng(0, "images/b.jpg").random(3))
    assert not np.array_equal(a, clutter_rng(1, "images/a.jpg").random(3))
