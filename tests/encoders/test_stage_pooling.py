"""Tests of skill.encoders.stage_pooling and of encoders that pool several stages."""

import numpy as np
import pytest
import torch

from skill.encoders.checkpoint import CheckpointError, validate_config
from skill.encoders.encoder import create_backbone, encoder_from_config, load_encoder
from skill.encoders.onnx import create_onnx_encoder
from skill.encoders.stage_pooling import check_stages, features_and_map, stage_feature_dim
from skill.encoders.whitening import fit_whitening, whitening_head
from skill.images.preprocess import Preprocess
from skill.train.export import encoder_from_model, export_encoder

STAGES = (3, 4, 5, 6)


@pytest.fixture(scope="module")
def lite0():
    torch.manual_seed(0)
    return create_backbone("tf_efficientnet_lite0", pretrained=None, global_pool="max").eval()


def _images(batch: int = 2, size: int = 64) -> torch.Tensor:
    return torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(batch))


def test_each_stage_is_unit_norm_and_the_head_part_is_the_backbones_own_features(lite0):
    with torch.inference_mode():
        features, _ = features_and_map(lite0, _images(), STAGES)
        own = torch.nn.functional.normalize(lite0(_images()), dim=-1)
    widths = [80, 112, 192, 320, 1280]  # EfficientNet-Lite0's stages 3-6 and its head
    assert features.shape == (2, sum(widths)) and stage_feature_dim(lite0, STAGES) == sum(widths)
    parts = torch.split(features, widths, dim=1)
    for part in parts:
        torch.testing.assert_close(part.norm(dim=1), torch.ones(2))
    torch.testing.assert_close(parts[-1], own, atol=1e-5, rtol=0)


def test_a_stage_is_the_max_over_its_map(lite0):
    seen = {}
    hook = lite0.blocks[4].register_forward_hook(lambda m, a, out: seen.update(map=out))
    with torch.inference_mode():
        features, _ = features_and_map(lite0, _images(), (4,))
    hook.remove()
    expected = torch.nn.functional.normalize(seen["map"].amax(dim=(2, 3)), dim=-1)
    torch.testing.assert_close(features[:, :112], expected)


@pytest.mark.parametrize(
    "stages, message", [((7,), "in \\[0, 6\\]"), ((5, 4), "increasing"), ((4, 4), "increasing")]
)
def test_stages_outside_the_network_or_out_of_order_are_refused(lite0, stages, message):
    with pytest.raises(ValueError, match=message):
        check_stages(lite0, stages)


def test_a_network_without_the_efficientnet_layout_is_named():
    resnet = create_backbone("resnet10t", pretrained=None)
    with pytest.raises(ValueError, match="EfficientNet-style backbone; ResNet has no"):
        check_stages(resnet, (1,))


@pytest.mark.parametrize(
    "stages, message", [(["3"], "block indices"), (list(range(17)), "at most 16")]
)
def test_a_config_with_bad_pool_stages_is_refused(stages, message):
    config = {
        "format_version": 1, "name": "x", "architecture": "tf_efficientnet_lite0",
        "feature_dim": 1984, "embedding_dim": 1984, "preprocess": {"input_size": 64},
        "pool_stages": stages,
    }  # fmt: skip
    with pytest.raises(CheckpointError, match=message):
        validate_config(config)


class _Teacher(torch.nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone


@pytest.mark.parametrize("polarity", [False, True], ids=["plain", "polarity-views"])
def test_export_round_trip_and_onnx_give_the_same_whitened_embeddings(lite0, tmp_path, polarity):
    preprocess = Preprocess(input_size=64, crop_pct=1.0, grayscale=True)
    raw = encoder_from_model(
        _Teacher(lite0),
        preprocess,
        "tf_efficientnet_lite0",
        pool_stages=STAGES,
        polarity_views=polarity,
    )
    with torch.inference_mode():
        features = raw(_images(12)).numpy().astype(np.float64)
    head = whitening_head(fit_whitening(features, dim=8))
    folder = export_encoder(
        _Teacher(lite0), tmp_path / "enc", preprocess, "tf_efficientnet_lite0", name="staged",
        backbone_kwargs={"global_pool": "max"}, head=head, pool_stages=STAGES,
        polarity_views=polarity,
    )  # fmt: skip
    encoder = load_encoder(folder)
    assert encoder.pool_stages == STAGES and encoder.info.config["feature_dim"] == 1984
    assert encoder.polarity_views is encoder.info.config.get("polarity_views", False) is polarity
    x = _images(3)
    with torch.inference_mode():
        expected = torch.nn.functional.normalize(head(raw(x)), dim=-1).numpy()
        got = encoder(x).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
    fast = create_onnx_encoder(encoder, cache_dir=tmp_path / "onnx")
    np.testing.assert_allclose(fast(x).numpy(), expected, atol=1e-4)


def test_the_same_weights_without_stages_are_another_export(lite0, tmp_path):
    base = {
        "name": "lite0-x", "architecture": "tf_efficientnet_lite0", "embedding_dim": 1280,
        "feature_dim": 1280, "backbone_kwargs": {"global_pool": "max"},
        "preprocess": {"input_size": 64, "crop_pct": 1.0},
    }  # fmt: skip
    plain = encoder_from_config(base)
    staged = encoder_from_config({**base, "embedding_dim": 1984, "pool_stages": list(STAGES)})
    for encoder in (plain, staged):
        encoder.load_state_dict({f"backbone.{k}": v for k, v in lite0.state_dict().items()})
        encoder.digest = "same-weights"
    x = _images(1)
    one = create_onnx_encoder(plain.eval(), cache_dir=tmp_path)(x).numpy()
    two = create_onnx_encoder(staged.eval(), cache_dir=tmp_path)(x).numpy()
    assert one.shape == (1, 1280) and two.shape == (1, 1984)


def test_a_checkpoint_whose_stages_the_backbone_lacks_is_refused_at_load(lite0, tmp_path):
    from skill.encoders.checkpoint import save_checkpoint

    config = {
        "name": "staged", "architecture": "tf_efficientnet_lite0", "feature_dim": 1984,
        "embedding_dim": 1984, "preprocess": {"input_size": 64, "crop_pct": 1.0},
        "backbone_kwargs": {"global_pool": "max"}, "pool_stages": [6, 5],
    }  # fmt: skip
    state = {f"backbone.{k}": v for k, v in lite0.state_dict().items()}
    folder = save_checkpoint(tmp_path / "bad", state, config)
    with pytest.raises(CheckpointError, match="cannot build.*increasing"):
        load_encoder(folder)
