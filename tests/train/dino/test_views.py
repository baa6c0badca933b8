"""SkiLL and DINO views: shapes, local views inside the foreground, colour changes per pixel."""

import numpy as np
import pytest

from skill.images.foreground import estimate_foreground_box
from skill.train.dino.views import DINOViews, SkillViews, invert_foreground
from tests.shapes import draw_tshirt


def test_skill_views_shapes():
    image = draw_tshirt()
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
    image = draw_tshirt()
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
    out = np.asarray(invert_foreground(draw_tshirt(), (235, 235, 235)))
    assert tuple(out[0, 0]) == (235, 235, 235)
    assert tuple(out[60, 40]) == (55, 215, 215)


def test_dino_views_shapes_and_determinism():
    image = draw_tshirt()
    views = DINOViews(global_size=32, local_size=16, num_local=2)
    a = views(image, (0, 0, 96, 96), (235, 235, 235), np.random.default_rng(5))
    b = views(image, (0, 0, 96, 96), (235, 235, 235), np.random.default_rng(5))
    assert [tuple(v.shape) for v in a] == [(3, 32, 32)] * 2 + [(3, 16, 16)] * 2
    assert all((x == y).all() for x, y in zip(a, b, strict=True))


def test_rejects_bad_probability():
    with pytest.raises(ValueError, match="hue_prob"):
        SkillViews(hue_prob=2.0)
