"""Tests of skill.images.colors on drawn images with known colours."""

import numpy as np
from PIL import Image, ImageDraw

from skill.images.colors import (
    COLOR_NAMES,
    dominant_color,
    foreground_mask,
    lab_to_rgb,
    rgb_to_lab,
)


def _square(fill: str, box=(30, 20, 70, 60), size=(100, 100)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=fill)
    return image


def _hex_rgb(code: str) -> np.ndarray:
    return np.asarray([int(code[i : i + 2], 16) for i in (1, 3, 5)])


def test_red_square_on_white_is_red():
    swatch = dominant_color(_square(COLOR_NAMES["Red"]))
    assert swatch.name == "Red"
    assert np.abs(_hex_rgb(swatch.hex) - _hex_rgb(COLOR_NAMES["Red"])).max() <= 6


def test_pure_red_is_named_red():
    assert dominant_color(_square("#ff0000")).name == "Red"


def test_coverage_is_the_product_share():
    swatch = dominant_color(_square("#1f2a44"))  # 40 x 40 of 100 x 100
    assert swatch.name == "Navy"
    assert abs(swatch.coverage - 0.16) < 0.02


def test_foreground_mask():
    rgb = np.asarray(_square("#2f6fd0"))
    mask = foreground_mask(rgb)
    assert mask[20:60, 30:70].all()
    assert mask.sum() == 40 * 40


def test_blank_image_has_no_foreground():
    rgb = np.asarray(Image.new("RGB", (50, 40), "white"))
    assert not foreground_mask(rgb).any()
    swatch = dominant_color(Image.fromarray(rgb))
    assert swatch.coverage == 0.0
    assert swatch.name == "White"


def test_lab_round_trip():
    rgb = np.random.default_rng(0).uniform(0.05, 0.95, size=(50, 3)).astype(np.float32)
    np.testing.assert_allclose(lab_to_rgb(rgb_to_lab(rgb)), rgb, atol=2e-3)


def _masked_mean_kmeans(pixels: np.ndarray, clusters: int, rounds: int = 8) -> np.ndarray:
    """The straightforward Lloyd's k-means (masked means per cluster), as a reference."""
    rng = np.random.default_rng(0)
    k = min(clusters, len(pixels))
    centres = pixels[rng.choice(len(pixels), size=k, replace=False)].copy()
    for _ in range(rounds):
        labels = np.argmin(((pixels[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        for j in range(k):
            if (labels == j).any():
                centres[j] = pixels[labels == j].mean(axis=0)
    labels = np.argmin(((pixels[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    return centres[np.bincount(labels, minlength=k).argmax()]


def test_the_fast_kmeans_finds_the_reference_cluster():
    from skill.images.colors import _largest_cluster_mean

    rng = np.random.default_rng(1)
    for _ in range(20):
        centres = rng.uniform(-60, 90, size=(3, 3))
        pixels = np.concatenate(
            [c + rng.normal(0, 8, size=(rng.integers(50, 900), 3)) for c in centres]
        ).astype(np.float32)
        got = _largest_cluster_mean(pixels, clusters=4)
        np.testing.assert_allclose(got, _masked_mean_kmeans(pixels, 4), atol=1e-3)


def test_a_photos_lab_is_looked_up_exactly_as_computed():
    from skill.images.colors import _SRGB_TO_LINEAR, _linear_to_lab

    pixels = np.random.default_rng(0).integers(0, 256, size=(20000, 3), dtype=np.uint8)
    looked_up = _linear_to_lab(_SRGB_TO_LINEAR[pixels])
    np.testing.assert_array_equal(looked_up, rgb_to_lab(pixels.astype(np.float32) / 255.0))


def test_the_kmeans_stops_early_only_where_the_rounds_left_change_nothing(monkeypatch):
    import skill.images.colors as colors

    def every_round(pixels):  # no round ever looks settled: all of them run
        with monkeypatch.context() as patch:
            patch.setattr(colors.np, "array_equal", lambda a, b: False)
            return colors._largest_cluster_mean(pixels, clusters=4)

    rng = np.random.default_rng(2)
    for spread in (2, 8, 30):  # some of these settle before the last round, most do not
        for _ in range(10):
            centres = rng.uniform(-60, 90, size=(3, 3))
            pixels = np.concatenate(
                [c + rng.normal(0, spread, size=(rng.integers(20, 600), 3)) for c in centres]
            ).astype(np.float32)
            got = colors._largest_cluster_mean(pixels, clusters=4)
            np.testing.assert_array_equal(got, every_round(pixels))
