"""Tests of skill.train.view_bank: stored maps equal the trunk on the same views."""

import numpy as np
import pytest
import torch
from PIL import Image

from skill.train.data import ImageCache
from skill.train.dino.views import SkillViews
from skill.train.view_bank import ViewBank, build_view_bank, onnx_trunk


def _cache(n=5):
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (30, 24, 3), dtype=np.uint8)) for _ in range(n)]
    return ImageCache.from_images(images, size=32)


def _trunk():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1).eval()

    def run(images):
        with torch.inference_mode():
            return conv(images)

    return run


def test_bank_holds_the_trunk_output_of_each_round_of_views(tmp_path):
    cache, views, trunk = _cache(), SkillViews(16, 8, num_local=3), _trunk()
    bank = build_view_bank(cache, views, trunk, rounds=2, folder=tmp_path / "b", batch_size=2)
    assert bank.globals.shape == (5, 4, 4, 8, 8) and bank.locals.shape == (5, 6, 4, 4, 4)
    # Photo 3, round 1 draws its views from seed + 1 * n + 3, as ViewDataset does in epoch 1.
    drawn = views(
        cache.image(3),
        tuple(cache.boxes[3]),
        tuple(cache.backgrounds[3]),
        np.random.default_rng(1 * 5 + 3),
    )
    expected = trunk(torch.stack(drawn[:2])).numpy()
    np.testing.assert_allclose(bank.globals[3, 2:4], expected, atol=2e-3, rtol=2e-3)
    np.testing.assert_allclose(
        bank.locals[3, 3:6], trunk(torch.stack(drawn[2:])).numpy(), atol=2e-3, rtol=2e-3
    )


def test_draw_gives_two_distinct_globals_and_the_asked_locals():
    globals_ = np.arange(3 * 4).reshape(3, 4, 1, 1, 1).astype(np.float16)
    locals_ = np.zeros((3, 5, 1, 1, 1), np.float16)
    bank = ViewBank(globals_, locals_)
    rng = np.random.default_rng(0)
    for _ in range(50):
        views = bank.draw([0, 2], num_local=3, rng=rng)
        assert len(views) == 5
        first, second = views[0].flatten(), views[1].flatten()
        assert (first != second).all()
        assert (first // 4 == torch.tensor([0.0, 2.0])).all()  # from the right photos
    with pytest.raises(ValueError, match="local views"):
        bank.draw([0], num_local=6, rng=rng)


def test_changed_settings_rebuild_and_equal_settings_reopen(tmp_path):
    cache, views, trunk = _cache(3), SkillViews(16, 8, num_local=1), _trunk()
    first = build_view_bank(cache, views, trunk, 1, tmp_path / "b", settings={"w": 1})
    again = build_view_bank(cache, views, None, 1, tmp_path / "b", settings={"w": 1})
    np.testing.assert_array_equal(first.globals, again.globals)  # reopened: trunk not called
    other = build_view_bank(cache, views, trunk, 1, tmp_path / "b", settings={"w": 2}, seed=5)
    assert not np.array_equal(np.asarray(other.globals), np.asarray(first.globals))


def test_onnx_trunk_equals_torch_at_any_view_size(tmp_path):
    torch.manual_seed(0)
    modules = [
        torch.nn.Conv2d(3, 6, 3, stride=2, padding=1),
        torch.nn.BatchNorm2d(6),
        torch.nn.ReLU6(),
    ]
    for m in modules:
        m.eval()
    fast = onnx_trunk(modules, tmp_path)
    for size in (16, 24):
        x = torch.randn(3, 3, size, size)
        with torch.inference_mode():
            expected = torch.nn.Sequential(*modules)(x)
        np.testing.assert_allclose(fast(x).numpy(), expected.numpy(), atol=1e-5)


def test_photo_bank_holds_each_photo_and_its_mirror_as_the_encoder_sees_them(tmp_path):
    import pandas as pd
    from PIL import ImageOps

    from skill.images.preprocess import Preprocess, to_tensor
    from skill.train.view_bank import build_photo_bank

    rng = np.random.default_rng(0)
    for i in range(3):
        array = rng.integers(0, 256, (30, 20, 3), dtype=np.uint8)
        Image.fromarray(array).save(tmp_path / f"{i}.png")
    items = pd.DataFrame({"image_path": [f"{i}.png" for i in range(3)]})
    grey = Preprocess(input_size=16, crop_pct=1.0, grayscale=True)
    trunk = _trunk()
    bank = build_photo_bank(items, tmp_path, grey, trunk, tmp_path / "b", batch_size=2)
    assert bank.globals.shape == (3, 2, 4, 8, 8) and bank.locals.shape[1] == 0
    photo = Image.open(tmp_path / "2.png").convert("RGB")
    for view, image in enumerate((photo, ImageOps.mirror(photo))):
        expected = trunk(to_tensor(image, grey)[None]).numpy()[0]
        np.testing.assert_allclose(bank.globals[2, view], expected, atol=2e-3, rtol=2e-3)
    # Same photos and preprocessing reopen the bank; another preprocessing rebuilds it.
    again = build_photo_bank(items, tmp_path, grey, None, tmp_path / "b")
    np.testing.assert_array_equal(again.globals, bank.globals)
    colour = Preprocess(input_size=16, crop_pct=1.0)
    other = build_photo_bank(items, tmp_path, colour, trunk, tmp_path / "b")
    assert not np.array_equal(np.asarray(other.globals), np.asarray(bank.globals))


def test_photo_bank_recolourings_are_the_colour_space_applied_to_the_photo(tmp_path):
    import pandas as pd
    from PIL import ImageOps

    from skill.images.preprocess import Preprocess, border_color, to_tensor
    from skill.train.dino.views import invert_foreground
    from skill.train.view_bank import build_photo_bank

    image = Image.new("RGB", (20, 30), "white")
    image.paste((20, 20, 20), (4, 6, 12, 26))  # a dark product on a white background
    image.save(tmp_path / "0.png")
    items = pd.DataFrame({"image_path": ["0.png"]})
    grey = Preprocess(input_size=16, crop_pct=1.0, grayscale=True)
    trunk = _trunk()

    def invert(photo, background, rng):
        return invert_foreground(photo, background)

    bank = build_photo_bank(
        items, tmp_path, grey, trunk, tmp_path / "b", recolor=invert, recolorings=2, seed=3
    )
    assert bank.globals.shape[:2] == (1, 4)
    photo = Image.open(tmp_path / "0.png").convert("RGB")
    candidates = [
        trunk(to_tensor(invert_foreground(p, border_color(photo)), grey)[None]).numpy()[0]
        for p in (photo, ImageOps.mirror(photo))
    ]
    for view in (2, 3):  # each recoloured copy is the inverted photo, mirrored or not
        assert any(np.allclose(bank.globals[0, view], c, atol=2e-3) for c in candidates)
    assert not np.allclose(bank.globals[0, 0], bank.globals[0, 2], atol=1e-2)
    # A recolouring count with no colour space is refused.
    with pytest.raises(ValueError, match="recolor"):
        build_photo_bank(items, tmp_path, grey, trunk, tmp_path / "c", recolorings=1)


def test_plain_draw_pairs_a_plain_view_with_a_recoloured_one():
    n, views = 50, 5
    globals_ = np.broadcast_to(
        np.arange(views, dtype=np.float16)[None, :, None, None, None], (n, views, 1, 1, 1)
    )
    bank = ViewBank(globals_, np.zeros((n, 0, 1, 1, 1), np.float16))
    first, second = bank.draw(np.arange(n), 0, np.random.default_rng(0), plain=2)
    pairs = np.stack([first.flatten().numpy(), second.flatten().numpy()], 1)
    assert np.all((pairs < 2).sum(1) == 1)  # exactly one plain view in every pair
    assert (pairs[:, 0] < 2).any() and (pairs[:, 1] < 2).any()  # in either position
    assert set(np.unique(pairs[pairs >= 2])) == {2.0, 3.0, 4.0}
    with pytest.raises(ValueError):
        bank.draw(np.arange(n), 0, np.random.default_rng(0), plain=5)


def test_photo_bank_folders_share_plain_banks_and_separate_recolouring_seeds(tmp_path):
    from skill.train.view_bank import photo_bank_folder

    assert photo_bank_folder(tmp_path, 6, True) == tmp_path / "photo-bank-gray-f6"
    seed0 = photo_bank_folder(tmp_path, 6, True, "skill", 2, 0)
    assert seed0 != photo_bank_folder(tmp_path, 6, True, "skill", 2, 1)
    assert seed0 != photo_bank_folder(tmp_path, 6, True, "dino", 2, 0)
