"""Tests of skill.catalog.index: faiss results against brute-force numpy."""

import numpy as np
import pytest

from skill.catalog.index import IndexConfig, build_index, load_index, save_index, search


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _clustered(n: int, d: int, clusters: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, d))
    labels = rng.integers(0, clusters, size=n)
    return _unit(centres[labels] + 0.3 * rng.normal(size=(n, d)))


def _brute_force(xb: np.ndarray, xq: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = xq @ xb.T
    ids = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, ids, axis=1), ids


def test_flat_search_equals_brute_force():
    rng = np.random.default_rng(0)
    xb = _unit(rng.normal(size=(300, 16)))
    xq = _unit(rng.normal(size=(20, 16)))
    index = build_index(xb, IndexConfig(kind="flat"))
    D, I = search(index, xq, 10)  # noqa: E741
    expected_D, expected_I = _brute_force(xb, xq, 10)
    np.testing.assert_array_equal(I, expected_I)
    np.testing.assert_allclose(D, expected_D, atol=1e-5)


def test_auto_is_exact_below_threshold_and_ivf_above():
    xb = _clustered(400, 8, 4, seed=1)
    assert type(build_index(xb, IndexConfig(kind="auto", exact_threshold=1000))).__name__ == (
        "IndexFlatIP"
    )
    assert type(build_index(xb, IndexConfig(kind="auto", exact_threshold=100))).__name__ == (
        "IndexIVFFlat"
    )


def test_ivf_recall_at_10_on_clustered_data():
    xb = _clustered(4000, 32, 40, seed=2)
    xq = _clustered(100, 32, 40, seed=3)
    index = build_index(xb, IndexConfig(kind="ivf", nlist=64, nprobe=8))
    _, I = search(index, xq, 10)  # noqa: E741
    _, expected = _brute_force(xb, xq, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(I, expected, strict=True)])
    assert recall >= 0.9, recall


def test_hnsw_finds_each_vector_itself():
    xb = _clustered(500, 16, 10, seed=4)
    index = build_index(xb, IndexConfig(kind="hnsw", hnsw_m=16))
    _, I = search(index, xb[:50], 1)  # noqa: E741
    assert (I[:, 0] == np.arange(50)).mean() >= 0.95


def test_k_is_clamped_to_the_index_size():
    xb = _clustered(5, 4, 2, seed=5)
    D, I = search(build_index(xb, IndexConfig(kind="flat")), xb[0], 50)  # noqa: E741
    assert D.shape == I.shape == (1, 5)
    assert sorted(I[0].tolist()) == list(range(5))


def test_empty_index_builds():
    index = build_index(np.zeros((0, 8), np.float32), IndexConfig(kind="ivf"))
    assert index.ntotal == 0


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_save_load_round_trip(tmp_path, kind):
    xb = _clustered(800, 16, 8, seed=6)
    xq = _clustered(10, 16, 8, seed=7)
    index = build_index(xb, IndexConfig(kind=kind, nlist=8, nprobe=8))
    save_index(index, tmp_path / "index.faiss")
    loaded = load_index(tmp_path / "index.faiss")
    assert loaded.ntotal == 800
    D1, I1 = search(index, xq, 5)
    D2, I2 = search(loaded, xq, 5)
    np.testing.assert_array_equal(I1, I2)
    np.testing.assert_allclose(D1, D2)


def test_unknown_kind_names_the_choices():
    with pytest.raises(ValueError, match="flat"):
        IndexConfig(kind="lsh")


@pytest.mark.parametrize("kind", ["flat", "ivf", "ivf-fp16"])
def test_a_float16_memory_map_added_in_chunks_gives_the_in_memory_index(tmp_path, kind):
    xb = _clustered(1200, 16, 6, seed=3)
    path = tmp_path / "xb.npy"
    np.save(path, xb.astype(np.float16))
    mapped = np.load(path, mmap_mode="r")
    config = IndexConfig(kind=kind, nlist=8, nprobe=8)
    chunked = build_index(mapped, config, chunk_rows=100)  # 12 adds from the memory map
    whole = build_index(mapped.astype(np.float32), config, chunk_rows=10_000)  # one add
    assert chunked.ntotal == whole.ntotal == 1200
    xq = xb[:50]
    np.testing.assert_array_equal(search(chunked, xq, 5)[1], search(whole, xq, 5)[1])
