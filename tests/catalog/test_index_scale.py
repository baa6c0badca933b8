"""Tests of skill.catalog.index's compact kinds and re-ranking: results against brute-force numpy."""

import numpy as np
import pytest

from skill.catalog.index import (
    IndexConfig,
    build_index,
    choose_kind,
    load_index,
    rerank,
    save_index,
    search,
)


def _clustered(n: int, d: int, clusters: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, d))
    x = centres[rng.integers(0, clusters, size=n)] + 0.5 * rng.normal(size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _exact_ids(xb: np.ndarray, xq: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(xq @ xb.T), axis=1, kind="stable")[:, :k]


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth, strict=True)]))


def test_choose_kind_follows_size_and_large_kind():
    config = IndexConfig(exact_threshold=1000, large_kind="ivf-pq")
    assert choose_kind(999, config) == "flat"
    assert choose_kind(1000, config) == "ivf-pq"
    assert choose_kind(10, IndexConfig(kind="hnsw")) == "hnsw"


def test_large_kind_must_be_an_ivf_kind():
    with pytest.raises(ValueError, match="ivf-fp16"):
        IndexConfig(large_kind="hnsw")


def test_ivf_fp16_finds_the_exact_neighbours_when_every_cell_is_probed():
    xb = _clustered(2000, 32, 10, seed=0)
    xq = _clustered(30, 32, 10, seed=1)
    index = build_index(xb, IndexConfig(kind="ivf-fp16", nlist=16, nprobe=16))
    assert type(index).__name__ == "IndexIVFScalarQuantizer"
    assert index.code_size == 32 * 2  # float16: half of float32
    D, I = search(index, xq, 10)  # noqa: E741
    assert _recall(I, _exact_ids(xb, xq, 10)) >= 0.97
    np.testing.assert_allclose(D[:, 0], (xq @ xb.T).max(axis=1), atol=2e-3)


def test_ivf_pq_with_rerank_recovers_exact_top_k_from_float16_vectors(tmp_path):
    xb = _clustered(12000, 32, 20, seed=2)
    xq = _clustered(40, 32, 20, seed=3)
    index = build_index(xb, IndexConfig(kind="ivf-pq", nlist=32, nprobe=32, pq_bytes=8))
    assert index.code_size == 8
    truth = _exact_ids(xb, xq, 10)
    _, candidates = search(index, xq, 100)
    raw = _recall(search(index, xq, 10)[1], truth)
    np.save(tmp_path / "xb.npy", xb.astype(np.float16))
    on_disk = np.load(tmp_path / "xb.npy", mmap_mode="r")
    D, I = rerank(xq, candidates, on_disk, 10)  # noqa: E741
    assert _recall(I, truth) >= 0.95
    assert _recall(I, truth) > raw  # re-ranking fixes what 8-byte codes get wrong
    expected = np.take_along_axis(xq @ on_disk.astype(np.float32).T, I, axis=1)
    np.testing.assert_allclose(D, expected, atol=1e-5)
    assert (np.diff(D, axis=1) <= 0).all()


def test_rerank_handles_missing_candidates():
    xb = _clustered(50, 8, 2, seed=4)
    xq = xb[:2]
    ids = np.array([[3, 0, -1, -1], [-1, -1, -1, -1]])
    D, I = rerank(xq, ids, xb, 3)  # noqa: E741
    assert I[0, 0] == 0 and I[0, 1] == 3 and I[0, 2] == -1
    assert (I[1] == -1).all() and np.isneginf(D[1]).all()


def test_pq_bytes_must_divide_dimension():
    xb = _clustered(2000, 30, 4, seed=5)
    with pytest.raises(ValueError, match="divide"):
        build_index(xb, IndexConfig(kind="ivf-pq", nlist=4, pq_bytes=8))


@pytest.mark.parametrize("kind", ["ivf-fp16", "ivf-pq"])
def test_compact_kinds_round_trip(tmp_path, kind):
    xb = _clustered(3000, 16, 8, seed=6)
    index = build_index(xb, IndexConfig(kind=kind, nlist=8, nprobe=4, pq_bytes=4))
    save_index(index, tmp_path / "index.faiss")
    loaded = load_index(tmp_path / "index.faiss")
    assert loaded.nprobe == 4
    np.testing.assert_array_equal(search(loaded, xb[:5], 5)[1], search(index, xb[:5], 5)[1])


def test_default_ivf_trains_on_a_sample_with_sqrt_n_cells():
    xb = _clustered(4000, 16, 8, seed=7)
    index = build_index(xb, IndexConfig(kind="ivf"))
    assert index.nlist == int(np.sqrt(4000))
    assert index.ntotal == 4000
