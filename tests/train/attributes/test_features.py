"""Tests of skill.train.attributes.features: localisation targets in the trunk's geometry."""

import numpy as np
import pytest

from skill.images.preprocess import Preprocess
from skill.train.attributes.features import cell_shares


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


@pytest.mark.slow
def test_the_store_holds_both_versions_resumes_and_feeds_the_head_convolution(tmp_path):
    import pandas as pd
    import torch

    from skill.attributes.trunk import imagenet_backbone
    from skill.train.attributes.features import build_feature_store, head_features, head_modules
    from tests.shapes import write_shapes

    rows = write_shapes(tmp_path / "photos", shapes=("circle", "square"), fills=("Red", "Blue"),
                        csv_name=None)  # fmt: skip
    items = pd.DataFrame({"image_path": [r["image_path"] for r in rows]})
    store = build_feature_store(items, tmp_path / "photos", tmp_path / "store", batch_size=3)
    assert store.clean.shape == store.clutter.shape == (4, 320, 7, 7)
    assert not np.array_equal(store.clean, store.clutter)  # the copies are on clutter
    assert store.masks["clean"].max() > 0.5 and store.masks["clean"][:, 0, 0].max() < 0.05
    again = build_feature_store(items, tmp_path / "photos", tmp_path / "store")
    np.testing.assert_array_equal(again.clutter, store.clutter)  # reused, not recomputed
    features = head_features(store, tmp_path / "store")
    with torch.no_grad():
        expected = head_modules(imagenet_backbone())(
            torch.from_numpy(store.clean[:2].astype(np.float32))
        )
    np.testing.assert_allclose(features.clean[:2].astype(np.float32), expected.numpy(), atol=0.02)
    assert store.rows(["circle-blue-0.jpg"]).tolist() == [1]
