"""SkiLL and DINO views: shapes, local views inside the foreground, colour changes per pixel."""

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from skill.images.foreground import estimate_foreground_box
from skill.train.views import DINOViews, SkillViews, invert_foreground


def _garment(size=96, color=(200, 40, 40)):
    """A 'T-shirt' (body + sleeves + a stripe) on a light grey background."""
    image = Image.new("RGB", (size, size), (235, 235, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 20, 66, 80), fill=color)
    draw.rectangle((18, 20, 30, 40), fill=color)
    draw.rectangle((66, 20, 78, 40), fill=color)
    draw.rectangle((30, 50, 66, 56), fill=(20, 90, 160))
    return image


def test_foreground_box_finds_the_garment():
    box, background = estimate_foreground_box(_garment())
    assert background == (235, 235, 235)
    assert box == (18, 20, 79, 81)


def test_foreground_box_of_a_blank_image_is_everything():
    box, _ = estimate_foreground_box(Image.new("RGB", (40, 30), "white"))
    assert box == (0, 0, 40, 30)


def test_skill_views_shapes():
    image = _garment()
    box, background = estimate_foreground_box(image)
    views = SkillViews(global_size=48, local_size=24, num_local=3)(
        image, box, background, np.random.default_rng(0)
    )
    assert [tuple(v.shape) for v in views] == [(3, 48, 48)] * 2 + [(3, 24, 24)] * 3
    assert all(v.abs().max() <= 1.0 + 1e-6 for v in views)


def test_local_views_fall_inside_the_foreground_box():
    views = SkillViews(local_scale=(0.2, 0.9))
    rng = np.random.default_rng(0)
    for box in [(18, 20, 79, 81), (0, 0, 10, 50), (40, 10, 120, 30)]:
        for _ in range(200):
            left, top, right, bottom = views.local_box(box, rng)
            assert box[0] <= left < right <= box[2]
            assert box[1] <= top < bottom <= box[3]
            assert right - left == bottom - top


def test_colour_changes_keep_the_grey_structure():
    """Pixels of equal colour stay equal: only colours move, never edges."""
    image = _garment()
    source = np.asarray(image).reshape(-1, 3)
    views = SkillViews(hue_prob=1.0, channel_permute_prob=1.0, invert_prob=0.5)
    rng = np.random.default_rng(3)
    changed = 0
    for _ in range(10):
        out = np.asarray(views.recolor_view(image, (235, 235, 235), rng)).reshape(-1, 3)
        for colour in np.unique(source, axis=0):
            region = out[(source == colour).all(1)]
            assert np.abs(region - region[0]).max() <= 1
        changed += int(np.abs(out.astype(int) - source).max() > 30)
    assert changed >= 8


def test_invert_keeps_background():
    out = np.asarray(invert_foreground(_garment(), (235, 235, 235)))
    assert tuple(out[0, 0]) == (235, 235, 235)
    assert tuple(out[60, 40]) == (55, 215, 215)


def test_dino_views_shapes_and_determinism():
    image = _garment()
    views = DINOViews(global_size=32, local_size=16, num_local=2)
    a = views(image, (0, 0, 96, 96), (235, 235, 235), np.random.default_rng(5))
    b = views(image, (0, 0, 96, 96), (235, 235, 235), np.random.default_rng(5))
    assert [tuple(v.shape) for v in a] == [(3, 32, 32)] * 2 + [(3, 16, 16)] * 2
    assert all((x == y).all() for x, y in zip(a, b, strict=True))


def test_rejects_bad_probability():
    with pytest.raises(ValueError, match="hue_prob"):
        SkillViews(hue_prob=2.0)


def test_grayscale_views_equal_pillow_grey_of_the_same_views():
    from PIL import Image

    from skill.train.views import GrayscaleViews, SkillViews, normalize_image

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
