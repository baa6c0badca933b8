"""Part views and random-crop views of a product photo."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from skill.train.variants.part_views import PartViews, RandomCropViews, part_box, square_crop


def _photo() -> tuple[Image.Image, tuple[int, int, int, int]]:
    array = np.full((64, 64, 3), 240, np.uint8)
    array[10:50, 20:44] = (200, 30, 30)  # upper half red
    array[30:50, 20:44] = (30, 30, 200)  # lower half blue
    return Image.fromarray(array), (20, 10, 44, 50)


def test_part_boxes_split_the_foreground_box():
    box = (20, 10, 44, 50)
    assert part_box(box, "whole") == box
    assert part_box(box, "upper") == (20, 10, 44, 30)
    assert part_box(box, "lower") == (20, 30, 44, 50)
    assert part_box(box, "left") == (20, 10, 32, 50)
    assert part_box(box, "right") == (32, 10, 44, 50)
    with pytest.raises(ValueError, match="part"):
        part_box(box, "middle")


def test_part_views_show_their_part_and_are_reproducible():
    image, box = _photo()
    plain = PartViews(view_size=32, recolor_prob=0.0)(
        image, box, (240, 240, 240), np.random.default_rng(0)
    )
    assert [v.size for v in plain] == [(32, 32)] * 5
    upper, lower = np.asarray(plain[1])[16, 16], np.asarray(plain[2])[16, 16]
    assert upper[0] > 150 > upper[2] and lower[2] > 150 > lower[0]
    views = PartViews(view_size=32)
    first = views(image, box, (240, 240, 240), np.random.default_rng(3))
    again = views(image, box, (240, 240, 240), np.random.default_rng(3))
    assert all(
        np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(first, again, strict=True)
    )
    assert not np.array_equal(np.asarray(first[0]), np.asarray(plain[0]))  # recoloured


def test_square_crop_pads_without_distortion():
    image, _ = _photo()
    out = square_crop(image, (20, 10, 44, 30), 24, (0, 255, 0))
    assert out.size == (24, 24)
    assert tuple(np.asarray(out)[0, 12]) == (0, 255, 0)  # wide part: padded above


def test_random_crop_views_count_and_size():
    image, box = _photo()
    views = RandomCropViews(view_size=40, num_views=3)(
        image, box, (240, 240, 240), np.random.default_rng(0)
    )
    assert [v.size for v in views] == [(40, 40)] * 3
