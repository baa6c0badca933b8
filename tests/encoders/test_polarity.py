"""Tests of skill.encoders.polarity and of encoders that pool a photo's two polarities."""

import numpy as np
import pytest
import torch
from PIL import Image

from skill.encoders.encoder import create_backbone
from skill.encoders.polarity import invert_product
from skill.images.preprocess import Preprocess, to_tensor
from skill.train.dino.views import invert_foreground
from skill.train.export import encoder_from_model

STAGES = (3, 4, 5, 6)
IMAGENET = Preprocess(input_size=64, crop_pct=1.0, mean=(0.485, 0.456, 0.406),
                      std=(0.229, 0.224, 0.225))  # fmt: skip
GREY = Preprocess(input_size=64, crop_pct=1.0, grayscale=True)


@pytest.fixture(scope="module")
def lite0():
    torch.manual_seed(0)
    return create_backbone("tf_efficientnet_lite0", pretrained=None, global_pool="max").eval()


def _product(value, motif=None, background=(255, 255, 255), size=64) -> Image.Image:
    """A packshot: a plain background and a product with a striped motif."""
    array = np.full((size, size, 3), background, np.uint8)
    array[12:52, 20:44] = value
    array[12:52:6, 20:44] = (np.asarray(value) * 0.6).astype(np.uint8) if motif is None else motif
    return Image.fromarray(array, "RGB")


def _colourways():
    """One design, dark and light: on white, each one's product is the other's inverted."""
    return _product((60,) * 3, motif=(36,) * 3), _product((195,) * 3, motif=(219,) * 3)


def _batch(images, preprocess):
    return torch.stack([to_tensor(image, preprocess) for image in images])


def _invert(batch, preprocess):
    return invert_product(batch, preprocess.mean, preprocess.std)


@pytest.mark.parametrize("preprocess", [IMAGENET, GREY], ids=["imagenet", "grey"])
def test_the_product_is_inverted_and_the_background_kept(preprocess):
    photo = _product((40, 90, 160), background=(235, 240, 250))
    inverted = _invert(_batch([photo], preprocess), preprocess)
    expected = invert_foreground(photo, (235, 240, 250))
    if preprocess.grayscale:
        expected = expected.convert("L")
    torch.testing.assert_close(inverted, _batch([expected], preprocess), atol=1e-5, rtol=0)


def test_a_dark_and_a_light_colourway_of_one_design_map_to_the_same_batch():
    batch = _batch(_colourways(), GREY)
    torch.testing.assert_close(_invert(batch[:1], GREY), batch[1:], atol=1e-5, rtol=0)


def test_a_background_that_touches_less_than_half_the_frame_is_still_found():
    array = np.full((64, 64, 3), 250, np.uint8)
    array[:, 24:40] = 80  # a long garment cut by the crop at the top and bottom
    batch = _batch([Image.fromarray(array)], GREY)
    inverted = _invert(batch, GREY)
    torch.testing.assert_close(inverted[..., 24:40], -batch[..., 24:40])  # mean = std = 0.5
    torch.testing.assert_close(inverted[..., :24], batch[..., :24])


def test_an_encoder_with_polarity_views_embeds_both_colourways_alike(lite0, tmp_path):
    raw = encoder_from_model(_Teacher(lite0), GREY, "tf_efficientnet_lite0", pool_stages=STAGES,
                             polarity_views=True)  # fmt: skip
    plain = encoder_from_model(_Teacher(lite0), GREY, "tf_efficientnet_lite0", pool_stages=STAGES)
    batch = _batch(_colourways(), GREY)
    with torch.inference_mode():
        both, alone = raw(batch), plain(batch)
    assert float(both[0] @ both[1]) > 0.9999
    assert float(alone[0] @ alone[1]) < 0.99  # without the views the two differ


def test_the_features_are_the_sum_of_the_plain_and_the_inverted_pass(lite0):
    raw = encoder_from_model(_Teacher(lite0), GREY, "tf_efficientnet_lite0", pool_stages=STAGES,
                             polarity_views=True)  # fmt: skip
    plain = encoder_from_model(_Teacher(lite0), GREY, "tf_efficientnet_lite0", pool_stages=STAGES)
    batch = _batch([_product((30, 30, 30)), _product((120, 120, 120))], GREY)
    with torch.inference_mode():
        features, maps = raw.pooled_features(batch, keep=2)
        one, plain_maps = plain.pooled_features(batch, keep=2)
        two, _ = plain.pooled_features(_invert(batch, GREY))
    torch.testing.assert_close(features, one + two, atol=1e-5, rtol=0)
    torch.testing.assert_close(maps, plain_maps)  # the map another network reads: plain photos


class _Teacher(torch.nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
