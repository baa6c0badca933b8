"""Tests of skill.images.preprocess: crop mode against timm's eval transform, pad mode, validation."""

import numpy as np
import pytest
from PIL import Image

from skill.images.preprocess import Preprocess, border_color, resize_image, to_tensor


def _noise_image(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(max(2, height // 8), max(2, width // 8), 3), dtype=np.uint8)
    return Image.fromarray(small).resize((width, height), Image.Resampling.BILINEAR)


@pytest.mark.parametrize("size", [(300, 200), (180, 400), (224, 224), (97, 131), (640, 480)])
def test_crop_mode_equals_timm_eval_transform(size):
    import timm

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0)
    data_config = timm.data.resolve_data_config({}, model=model)
    transform = timm.data.create_transform(**data_config)
    preprocess = Preprocess(
        input_size=data_config["input_size"][-1],
        crop_pct=data_config["crop_pct"],
        mean=tuple(data_config["mean"]),
        std=tuple(data_config["std"]),
        interpolation=data_config["interpolation"],
    )
    image = _noise_image(*size, seed=sum(size))
    expected = transform(image).numpy()
    actual = to_tensor(image, preprocess).numpy()
    assert actual.shape == expected.shape == (3, 224, 224)
    assert np.abs(actual - expected).max() < 1e-5


def _striped(width: int = 200, height: int = 100) -> Image.Image:
    array = np.full((height, width, 3), 255, np.uint8)
    array[:, :20] = (255, 0, 0)
    array[:, -20:] = (0, 0, 255)
    return Image.fromarray(array)


def test_pad_mode_keeps_the_whole_image():
    image = _striped()
    padded = np.asarray(resize_image(image, Preprocess(input_size=64, resize_mode="pad")))
    cropped = np.asarray(resize_image(image, Preprocess(input_size=64, resize_mode="crop")))
    assert padded.shape == cropped.shape == (64, 64, 3)
    middle = padded[32]
    assert tuple(middle[1]) == (255, 0, 0) and tuple(middle[-2]) == (0, 0, 255)
    assert (padded[:10] == 255).all() and (padded[-10:] == 255).all()  # padded with white
    assert (cropped > 200).all()  # the centre crop loses both stripes


def test_border_color_is_the_background():
    assert border_color(_striped()) == (255, 255, 255)


def test_grayscale_gives_equal_channels():
    tensor = to_tensor(_noise_image(80, 60, 1), Preprocess(input_size=32, grayscale=True))
    assert torch_allclose(tensor[0], tensor[1]) and torch_allclose(tensor[1], tensor[2])


def torch_allclose(a, b) -> bool:
    return bool(np.allclose(a.numpy(), b.numpy()))


def test_normalisation_maps_white_to_one():
    tensor = to_tensor(Image.new("RGB", (40, 40), "white"), Preprocess(input_size=32))
    assert tensor.shape == (3, 32, 32)
    np.testing.assert_allclose(tensor.numpy(), 1.0)


def test_dict_round_trip():
    preprocess = Preprocess(input_size=96, crop_pct=0.9, resize_mode="pad", grayscale=True)
    assert Preprocess.from_dict(preprocess.to_dict()) == preprocess


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resize_mode": "stretch"}, "resize_mode"),
        ({"interpolation": "nearest"}, "interpolation"),
        ({"input_size": 8}, "input_size"),
        ({"crop_pct": 1.5}, "crop_pct"),
    ],
)
def test_invalid_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Preprocess(**kwargs)


def test_unknown_dict_keys_are_named():
    with pytest.raises(ValueError, match="colour_space"):
        Preprocess.from_dict({"input_size": 64, "colour_space": "lab"})


@pytest.mark.parametrize("resize_mode", ["crop", "pad"])
def test_grey_is_resized_as_one_channel_with_the_same_pixels(resize_mode):
    image = _noise_image(300, 450, seed=3)
    preprocess = Preprocess(input_size=96, grayscale=True, resize_mode=resize_mode)
    three = image.convert("L").convert("RGB")  # three equal channels, resized together
    expected = resize_image(three, Preprocess(input_size=96, resize_mode=resize_mode))
    np.testing.assert_array_equal(np.asarray(resize_image(image, preprocess)), np.asarray(expected))
    array = to_tensor(image, preprocess).numpy()
    reference = (np.asarray(expected, np.float32).transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    np.testing.assert_allclose(array, reference, atol=1e-6)
