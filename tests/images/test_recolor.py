"""Tests of skill.images.recolor: each recolouring changes colour and keeps the design."""

import numpy as np
import pytest
from PIL import Image

from skill.images.colors import foreground_mask
from skill.images.recolor import RECOLORINGS, permute_channels, recolor, rotate_hue, to_grayscale
from tests.shapes import FILLS, draw_shape


def _pixel(image: Image.Image, xy=(48, 48)) -> tuple[int, int, int]:
    return image.getpixel(xy)


def test_hue_rotation_by_180_turns_red_into_cyan_and_keeps_value():
    red = Image.new("RGB", (8, 8), (200, 20, 20))
    turned = rotate_hue(red, 180)
    r, g, b = _pixel(turned, (0, 0))
    assert r < 40 and g > 150 and b > 150  # cyan
    hsv_before = np.asarray(red.convert("HSV"))[..., 1:]
    hsv_after = np.asarray(turned.convert("HSV"))[..., 1:]
    np.testing.assert_allclose(hsv_after, hsv_before, atol=2)  # saturation and value stay


def test_hue_rotation_leaves_grey_alone():
    grey = Image.new("RGB", (4, 4), (120, 120, 120))
    assert _pixel(rotate_hue(grey, 90), (0, 0)) == (120, 120, 120)


def test_channel_permutation_and_grayscale():
    image = Image.new("RGB", (2, 2), (10, 20, 30))
    assert _pixel(permute_channels(image, (1, 2, 0)), (0, 0)) == (20, 30, 10)
    with pytest.raises(ValueError, match="permutation"):
        permute_channels(image, (0, 0, 1))
    r, g, b = _pixel(to_grayscale(image), (0, 0))
    assert r == g == b == Image.new("RGB", (1, 1), (10, 20, 30)).convert("L").getpixel((0, 0))


@pytest.mark.parametrize("name", RECOLORINGS)
def test_every_recolouring_changes_colour_and_keeps_the_design(name):
    photo = draw_shape("triangle", FILLS["Red"])
    copy = recolor(photo, name)
    assert copy.size == photo.size
    before, after = np.asarray(photo, np.int16), np.asarray(copy, np.int16)
    mask = foreground_mask(before.astype(np.uint8))
    # The product changes colour...
    assert np.abs(after[mask] - before[mask]).mean() > 40
    # ...and keeps its shape: the same pixels are product, the white background stays white.
    np.testing.assert_array_equal(foreground_mask(after.astype(np.uint8)), mask)
    assert np.abs(after[~mask] - before[~mask]).max() <= 2


def test_unknown_recolouring_names_the_choices():
    with pytest.raises(ValueError, match="hue-180"):
        recolor(Image.new("RGB", (2, 2)), "sepia")
