"""Tests of skill.encoders.embedding: order, failures that do not stop the batch, progress."""

import io

import numpy as np
import pytest
import torch

from skill.encoders.embedding import embed_images, prepare
from skill.encoders.encoder import encoder_from_config
from tests.shapes import FILLS, TINY_CONFIG, draw_shape


@pytest.fixture(scope="module")
def encoder():
    torch.manual_seed(0)
    return encoder_from_config(TINY_CONFIG).eval()


@pytest.fixture
def sources(tmp_path):
    paths = []
    for i, (shape, colour) in enumerate(
        [("circle", "Red"), ("square", "Blue"), ("cross", "Green"), ("triangle", "Yellow")] * 2
    ):
        path = tmp_path / f"{i}.png"
        draw_shape(shape, FILLS[colour], offset=i).save(path)
        paths.append(path)
    return paths


def _one_by_one(encoder, sources) -> np.ndarray:
    with torch.inference_mode():
        return np.stack([encoder(prepare(s, encoder)[None])[0].numpy() for s in sources])


def test_order_is_preserved_across_batches_and_threads(encoder, sources):
    result = embed_images(encoder, sources, batch_size=3, num_threads=2)
    assert result.indices.tolist() == list(range(8)) and result.failures == []
    np.testing.assert_allclose(result.embeddings, _one_by_one(encoder, sources), atol=1e-5)


def test_a_failing_file_is_reported_and_the_batch_goes_on(encoder, sources, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    mixed = [sources[0], broken, sources[1], tmp_path / "missing.png", sources[2]]
    result = embed_images(encoder, mixed, batch_size=2)
    assert result.indices.tolist() == [0, 2, 4]
    assert [i for i, _ in result.failures] == [1, 3]
    assert "corrupt" in result.failures[0][1] or "not an image" in result.failures[0][1]
    assert "file not found" in result.failures[1][1]
    np.testing.assert_allclose(
        result.embeddings, _one_by_one(encoder, [sources[0], sources[1], sources[2]]), atol=1e-5
    )


def test_progress_reports_every_batch(encoder, sources):
    calls = []
    embed_images(
        encoder, sources, batch_size=3, progress=lambda s, d, t, u="": calls.append((d, t))
    )
    assert calls == [(3, 8), (6, 8), (8, 8)]


def test_pil_images_bytes_and_files_give_the_same_vectors(encoder, sources):
    data = sources[0].read_bytes()
    from PIL import Image

    result = embed_images(encoder, [Image.open(sources[0]), data, io.BytesIO(data), sources[0]])
    assert len(result.embeddings) == 4
    np.testing.assert_allclose(result.embeddings, result.embeddings[[0, 0, 0, 0]], atol=1e-5)


def test_all_failing_gives_an_empty_result(encoder):
    result = embed_images(encoder, [b"", b"junk"])
    assert result.embeddings.shape == (0, 16) and len(result.failures) == 2
    assert embed_images(encoder, []).embeddings.shape == (0, 16)


def test_batch_size_is_checked(encoder, sources):
    with pytest.raises(ValueError, match="batch_size"):
        embed_images(encoder, sources, batch_size=0)
