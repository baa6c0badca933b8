"""Tests of skill.encoders.onnx: ONNX Runtime outputs equal the PyTorch encoder's."""

import numpy as np
import pytest
import torch
from PIL import Image  # noqa: E402

from skill.encoders.embedding import embed_images  # noqa: E402
from skill.encoders.encoder import encoder_from_config  # noqa: E402
from skill.encoders.onnx import create_onnx_encoder, export_onnx  # noqa: E402

TINY = {
    "name": "tiny-onnx",
    "architecture": "resnet10t",
    "embedding_dim": 16,
    "preprocess": {"input_size": 64, "crop_pct": 1.0},
    "head": {"type": "mlp", "in_dim": 512, "out_dim": 16, "hidden_dim": 32, "num_layers": 2},
}
TOLERANCE = 1e-4  # stated in skill/onnx_export.py; observed about 1e-6


def _encoder(seed: int = 0):
    torch.manual_seed(seed)
    return encoder_from_config(TINY).eval()


def test_onnx_outputs_equal_torch_for_any_batch_size(tmp_path):
    encoder = _encoder()
    fast = create_onnx_encoder(encoder, cache_dir=tmp_path)
    for batch in (1, 3):
        x = torch.randn(batch, 3, 64, 64, generator=torch.Generator().manual_seed(batch))
        with torch.inference_mode():
            expected = encoder(x).numpy()
        got = fast(x).numpy()
        assert got.shape == (batch, 16)
        np.testing.assert_allclose(got, expected, atol=TOLERANCE)
        np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_export_reflects_the_weights(tmp_path):
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    one = create_onnx_encoder(_encoder(0), cache_dir=tmp_path)(x).numpy()
    other = create_onnx_encoder(_encoder(1), cache_dir=tmp_path)(x).numpy()
    assert np.abs(one - other).max() > 1e-2  # no stale export for digest-less encoders


def test_export_leaves_training_mode_unchanged(tmp_path):
    encoder = _encoder().train()
    export_onnx(encoder, tmp_path / "model.onnx")
    assert encoder.training
    assert (tmp_path / "model.onnx").stat().st_size > 0


@pytest.mark.parametrize("runtime", ["onnx", "channels_last", "auto"])
def test_embed_images_runtimes_match_torch(runtime):
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (80, 70, 3), dtype=np.uint8)) for _ in range(5)]
    reference = embed_images(_encoder(), images, batch_size=2)
    result = embed_images(_encoder(), images, batch_size=2, runtime=runtime)
    np.testing.assert_array_equal(result.indices, reference.indices)
    np.testing.assert_allclose(result.embeddings, reference.embeddings, atol=TOLERANCE)
    assert result.runtime == ("onnx" if runtime == "auto" else runtime)


def test_auto_falls_back_to_torch_when_the_export_fails(monkeypatch):
    import skill.encoders.onnx

    def fail(*args, **kwargs):
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(skill.encoders.onnx, "create_onnx_encoder", fail)
    images = [Image.new("RGB", (40, 40), (200, 30, 30))]
    with pytest.warns(UserWarning, match="unsupported operator"):
        result = embed_images(_encoder(), images, runtime="auto")
    assert result.runtime == "torch" and result.embeddings.shape == (1, 16)
    with pytest.raises(RuntimeError, match="unsupported operator"):
        embed_images(_encoder(), images, runtime="onnx")


def test_auto_keeps_an_accelerator_encoder_in_torch(monkeypatch):
    import skill.encoders.onnx
    from skill.encoders.embedding import resolve_runtime
    from skill.encoders.encoder import weights_device

    def fail(*args, **kwargs):
        raise AssertionError("an encoder on an accelerator must not be exported to ONNX")

    monkeypatch.setattr(skill.encoders.onnx, "create_onnx_encoder", fail)
    encoder = _encoder().to("meta")  # weights off the CPU, as a GPU teacher's are
    assert weights_device(encoder).type == "meta"
    model, runtime = resolve_runtime(encoder, "auto")
    assert model is encoder and runtime == "torch"
    assert weights_device(torch.nn.ReLU()).type == "cpu"  # no weights: the CPU


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("runtime", ["auto", "torch", "onnx"])
def test_a_gpu_encoder_embeds_as_on_the_cpu(runtime):
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (80, 70, 3), dtype=np.uint8)) for _ in range(3)]
    reference = embed_images(_encoder(), images, batch_size=2)
    result = embed_images(_encoder().cuda(), images, batch_size=2, runtime=runtime)
    np.testing.assert_allclose(result.embeddings, reference.embeddings, atol=1e-3)


def test_catalog_built_with_onnx_equals_torch(tmp_path):
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig
    from skill.catalog.store import open_catalog
    from tests.shapes import save_tiny_encoder, write_shapes

    encoder_dir = save_tiny_encoder(tmp_path / "tiny")
    write_shapes(tmp_path / "photos")
    vectors = {}
    for runtime in ("torch", "onnx"):
        build_catalog(
            tmp_path / "photos",
            tmp_path / runtime,
            csv_path=tmp_path / "photos" / "catalog.csv",
            encoders=[str(encoder_dir)],
            config=CatalogConfig(map=MapConfig(method="pca"), runtime=runtime),
        )
        catalog = open_catalog(tmp_path / runtime)
        vectors[runtime] = catalog.embeddings(catalog.encoders[0])
    assert len(vectors["torch"]) > 10
    np.testing.assert_allclose(vectors["onnx"], vectors["torch"], atol=TOLERANCE)


def test_unknown_runtime_names_the_choices():
    with pytest.raises(ValueError, match="onnx"):
        embed_images(_encoder(), [], runtime="tensorrt")


def test_an_export_opens_again_from_its_name_and_digest_alone(tmp_path):
    from skill.encoders.onnx import export_path, open_exported

    encoder = _encoder()
    encoder.digest = "0123abcd"
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (80, 70, 3), dtype=np.uint8)) for _ in range(3)]
    assert open_exported("tiny-onnx", "0123abcd", cache_dir=tmp_path) is None  # not yet
    create_onnx_encoder(encoder, cache_dir=tmp_path)
    again = open_exported("tiny-onnx", "0123abcd", cache_dir=tmp_path, num_threads=1)
    assert again.preprocess == encoder.preprocess and again.embedding_dim == 16
    reference = embed_images(encoder, images, batch_size=2)
    result = embed_images(again, images, batch_size=2, runtime="torch")  # an export runs ONNX
    assert result.runtime == "onnx"
    np.testing.assert_allclose(result.embeddings, reference.embeddings, atol=TOLERANCE)
    assert open_exported("tiny-onnx", "ffff0000", cache_dir=tmp_path) is None  # other weights
    assert open_exported("tiny-onnx", "", cache_dir=tmp_path) is None
    export_path("tiny-onnx", "0123abcd", tmp_path).with_suffix(".json").write_text("{broken")
    assert open_exported("tiny-onnx", "0123abcd", cache_dir=tmp_path, num_threads=2) is None


def test_same_weights_at_another_input_size_are_exported_again(tiny_encoder_dir, tmp_path):
    import dataclasses

    from skill.encoders.encoder import load_encoder
    from skill.encoders.onnx import create_onnx_encoder

    encoder = load_encoder(tiny_encoder_dir)
    small = create_onnx_encoder(encoder, tmp_path)
    side = encoder.preprocess.input_size
    encoder.preprocess = dataclasses.replace(encoder.preprocess, input_size=side + 32)
    large = create_onnx_encoder(encoder, tmp_path)
    batch = np.random.default_rng(0).random((1, 3, side + 32, side + 32), dtype=np.float32)
    assert small is not large
    assert large.embed(batch).shape == (1, encoder.embedding_dim)


def test_batch_sessions_do_not_spin(tmp_path):
    from skill.catalog.ingest import batch_model

    encoder = _encoder()
    build = batch_model(encoder, "onnx")
    search = create_onnx_encoder(encoder)
    entry = "session.intra_op.allow_spinning"
    assert build.session.get_session_options().get_session_config_entry(entry) == "0"
    assert search.session.get_session_options().get_session_config_entry(entry) == "1"
    batch = torch.randn(3, 3, 64, 64)
    np.testing.assert_allclose(build(batch), search(batch), atol=1e-6)
