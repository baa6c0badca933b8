"""Tests of skill.attributes.trunk: which encoders share the ImageNet trunk."""

import pytest
import torch

from skill.attributes.trunk import imagenet_backbone, shares_trunk, tail_modules, trunk_modules


def test_trunk_and_tail_make_the_backbone_features():
    backbone = imagenet_backbone()
    images = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        maps = torch.nn.Sequential(*trunk_modules(backbone))(images)
        features = torch.nn.Sequential(*tail_modules(backbone))(maps)
        torch.testing.assert_close(features, backbone.forward_features(images))
    assert maps.shape == (1, 112, 14, 14) and features.shape == (1, 1280, 7, 7)


@pytest.mark.slow
def test_grey_lite0_encoders_share_the_trunk_and_others_do_not(tiny_encoder_dir):
    from skill.encoders.registry import create_encoder

    assert shares_trunk(create_encoder("luminance-lite0"))
    assert not shares_trunk(create_encoder("imagenet-lite0"))  # colour input
    assert not shares_trunk(create_encoder(str(tiny_encoder_dir)))  # another network
    changed = create_encoder("luminance-lite0")
    with torch.no_grad():
        changed.backbone.blocks[2][0].conv_pw.weight.add_(0.01)  # a trained trunk layer
    assert not shares_trunk(changed)
    drifted = create_encoder("luminance-lite0")
    with torch.no_grad():
        drifted.backbone.blocks[2][0].conv_pw.weight.add_(1e-6)  # EMA drift
        drifted.backbone.blocks[6][0].conv_pw.weight.add_(0.5)  # a trained tail stage
    assert shares_trunk(drifted)
