"""Tests of skill.catalog.projection: principal components, UMAP maps at scale settings, placement."""

import numpy as np
import pytest

from skill.catalog.projection import MapConfig, fit_map, place_on_map, principal_components


def _clusters(n_per=60, k=3, dim=64, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim)) * 3
    x = np.concatenate([c + rng.standard_normal((n_per, dim)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.repeat(np.arange(k), n_per)


def test_principal_components_equal_an_svd_up_to_sign():
    x, _ = _clusters()
    got = principal_components(x, 5)
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ vt[:5].T
    signs = np.sign((got * expected).sum(axis=0))
    np.testing.assert_allclose(got * signs, expected, atol=1e-4)
    assert got.var(axis=0)[0] >= got.var(axis=0)[-1]


@pytest.mark.slow
@pytest.mark.parametrize("config", [MapConfig(pca_dims=8), MapConfig(pca_dims=0)])
def test_umap_map_keeps_clusters_apart_and_is_deterministic_when_small(config):
    x, labels = _clusters()
    coords = fit_map(x, config)
    assert coords.shape == (len(x), 2) and np.isfinite(coords).all()
    assert np.abs(coords).max() == pytest.approx(1.0, abs=1e-5)
    d = ((coords[:, None] - coords[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(axis=1)] == labels).mean() > 0.95
    np.testing.assert_array_equal(coords, fit_map(x, config))  # below deterministic_max_rows


def test_pca_map_and_placement():
    x, labels = _clusters()
    coords = fit_map(x, MapConfig(method="pca"))
    placed = place_on_map(x[:3], x, coords, k=5)
    assert placed.shape == (3, 2)
    # A catalog photo lands next to itself.
    assert np.linalg.norm(placed - coords[:3], axis=1).max() < 0.2


def test_placement_through_the_index_equals_scoring_every_row():
    from skill.catalog.index import IndexConfig, build_index

    x, _ = _clusters()
    coords = fit_map(x, MapConfig(method="pca"))
    queries = x[[0, 70, 150]] + 0.01
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    index = build_index(x, IndexConfig(kind="flat"))
    np.testing.assert_allclose(
        place_on_map(queries, x, coords, k=6, index=index),
        place_on_map(queries, x, coords, k=6),
        atol=1e-5,
    )


def test_pca_map_of_tiny_inputs():
    assert fit_map(np.ones((1, 4), np.float32), MapConfig(method="pca")).shape == (1, 2)
    one_dim = fit_map(np.arange(5, dtype=np.float32)[:, None], MapConfig(method="pca"))
    assert one_dim.shape == (5, 2) and (one_dim[:, 1] == 0).all()


def test_a_map_above_fit_rows_is_fitted_on_a_sample_and_places_the_rest():
    x, labels = _clusters(n_per=100, k=3)
    config = MapConfig(method="pca", fit_rows=120)
    coords = fit_map(x, config)
    assert coords.shape == (300, 2) and np.isfinite(coords).all()
    rows = np.sort(np.random.default_rng(0).choice(300, 120, replace=False))
    np.testing.assert_allclose(coords[rows], fit_map(x[rows], MapConfig(method="pca")), atol=1e-6)
    others = np.setdiff1d(np.arange(300), rows)
    centres = np.stack([coords[rows][labels[rows] == k].mean(axis=0) for k in range(3)])
    nearest = np.argmin(((coords[others, None] - centres[None]) ** 2).sum(-1), axis=1)
    assert (nearest == labels[others]).mean() > 0.95  # placed beside their own cluster
