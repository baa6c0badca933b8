"""Tests of skill.catalog.build: the map a build stores is the one its config asks for."""

import numpy as np
import pytest

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.projection import MapConfig, fit_map
from skill.catalog.store import open_catalog


@pytest.mark.slow  # UMAP's numba compile: about a minute the first time in a process
def test_a_build_that_asks_for_umap_stores_a_umap_map(tmp_path, shape_photos, tiny_encoder_dir):
    umap = MapConfig(method="umap", n_neighbors=5)  # 16 photos: enough neighbours for UMAP
    build_catalog(
        shape_photos,
        tmp_path / "cat",
        shape_photos / "catalog.csv",
        encoders=[str(tiny_encoder_dir)],
        config=CatalogConfig(batch_size=8, map=umap),
    )
    catalog = open_catalog(tmp_path / "cat")
    stored = np.load(catalog.version / "tiny-random" / "map.npy")
    embeddings = np.asarray(catalog.embeddings("tiny-random"))
    assert stored.shape == (16, 2) and stored.dtype == np.float32
    assert np.isfinite(stored).all()
    assert catalog.manifest["config"]["map"]["method"] == "umap"
    pca = fit_map(embeddings, MapConfig(method="pca"))
    assert not np.allclose(stored, pca, atol=1e-3)
    assert not np.allclose(stored, pca * [1, -1], atol=1e-3)  # nor PCA up to an axis flip
    assert not np.allclose(stored, pca * [-1, 1], atol=1e-3)
    assert not np.allclose(stored, -pca, atol=1e-3)
    np.testing.assert_allclose(stored, fit_map(embeddings, umap), atol=1e-5)  # seeded: the same
