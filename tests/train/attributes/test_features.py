"""Tests of skill.train.attributes.features: localisation targets in the trunk's geometry."""

import numpy as np

from skill.images.preprocess import Preprocess
from skill.train.attributes.features import cell_shares, clutter_rng


def test_cell_shares_follow_the_centre_crop():
    mask = np.zeros((540, 360), bool)
    mask[:, :180] = True  # the left half of a portrait photo
    shares = cell_shares(mask)
    assert shares.shape == (7, 7)
    np.testing.assert_allclose(shares[:, :3], 1.0, atol=0.02)
    np.testing.assert_allclose(shares[:, 4:], 0.0, atol=0.02)
    top = np.zeros((540, 360), bool)
    top[:60] = True  # the top ninth is cropped away by the 224 px centre crop
    assert cell_shares(top).max() < 0.05
    assert cell_shares(mask, Preprocess(input_size=64, crop_pct=1.0), grid=4).shape == (4, 4)


def test_each_photo_gets_its_own_reproducible_clutter():
    a = clutter_rng(0, "images/a.jpg").random(3)
    assert np.array_equal(a, clutter_rng(0, "images/a.jpg").random(3))
    assert not np.array_equal(a, clutter_rng(0, "images/b.jpg").random(3))
    assert not np.array_equal(a, clutter_rng(1, "images/a.jpg").random(3))
