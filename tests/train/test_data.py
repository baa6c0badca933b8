"""Training data: the design split, the pre-resized cache and the view dataset."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw

from skill.evaluation.splits import read_split
from skill.train.data import ViewDataset, build_image_cache
from skill.train.dino.views import SkillViews


def _write_photos(folder, n=3):
    folder.mkdir()
    rows = []
    for i in range(n):
        image = Image.new("RGB", (40, 60), "white")
        ImageDraw.Draw(image).rectangle((10, 10 + i, 30, 50), fill=(200, 20 * i, 40))
        image.save(folder / f"{i}.png")
        rows.append({"image_path": f"{i}.png"})
    return pd.DataFrame(rows)


def test_cache_pads_finds_boxes_and_is_reused(tmp_path):
    items = _write_photos(tmp_path / "photos")
    cache = build_image_cache(items, tmp_path / "photos", tmp_path / "cache", size=30)
    assert cache.images.shape == (3, 30, 30, 3)
    left, top, right, bottom = cache.boxes[0]
    # 40x60 scaled by 0.5 and centred: the rectangle spans x 5..15 (+5 pad), y 5..25.
    assert (left, top, right, bottom) == (10, 5, 21, 26)
    assert tuple(cache.backgrounds[0]) == (255, 255, 255)
    stamp = (tmp_path / "cache" / "images.npy").stat().st_mtime_ns
    build_image_cache(items, tmp_path / "photos", tmp_path / "cache", size=30)
    assert (tmp_path / "cache" / "images.npy").stat().st_mtime_ns == stamp


def test_view_dataset_is_deterministic_per_epoch(tmp_path):
    items = _write_photos(tmp_path / "photos")
    cache = build_image_cache(items, tmp_path / "photos", tmp_path / "cache", size=30)
    dataset = ViewDataset(cache, SkillViews(global_size=16, local_size=8, num_local=1), seed=0)
    first = dataset[1]
    assert all(np.array_equal(a, b) for a, b in zip(first, dataset[1], strict=True))
    dataset.epoch = 1
    assert not all(np.array_equal(a, b) for a, b in zip(first, dataset[1], strict=True))


@pytest.mark.shared
def test_split_is_design_disjoint(hm_data):
    train_items, val_items = read_split(hm_data)
    assert not set(train_items["design_id"]) & set(val_items["design_id"])
    assert 0.15 < len(val_items) / (len(train_items) + len(val_items)) < 0.25
