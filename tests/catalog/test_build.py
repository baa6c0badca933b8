"""Tests of skill.catalog.build: the map a build stores is the one its config asks for."""

import numpy as np
import pytest

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.projection import MapConfig, fit_map
from skill.catalog.store import open_catalog


@pytest.mark.slow  # UMAP's numba compile: about a minute the first time in a process
def test_a_build_that_asks_for_umap_stores_a_umap_map(tmp_path, shape_photos, tiny_encoder_dir):
    umap = MapConfig(method="umap", n_neighbors=5)  # 16 photos: enough neighbours for UMAP
    reports = []
    build_catalog(
        shape_photos,
        tmp_path / "cat",
        shape_photos / "catalog.csv",
        encoders=[str(tiny_encoder_dir)],
        config=CatalogConfig(batch_size=8, map=umap),
        progress=lambda *report: reports.append(report),
    )
    # The map stage moves: seconds of the neighbour graph, then the layout's epochs to the end.
    graph = [r for r in reports if r[0] == "mapping tiny-random: neighbour graph"]
    layout = [r for r in reports if r[0] == "mapping tiny-random: layout"]
    assert graph and {r[3] for r in graph} == {"s"} and graph[0][1] == 0
    assert layout and {r[3] for r in layout} == {"epochs"}
    assert layout[-1][1] == layout[-1][2] > 100  # UMAP runs 200-500 epochs
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


def test_every_stage_of_a_build_reports_from_zero_to_its_total(
    tmp_path, shape_photos, tiny_encoder_dir
):
    reports = []
    build_catalog(
        shape_photos,
        tmp_path / "cat",
        shape_photos / "catalog.csv",
        encoders=[str(tiny_encoder_dir)],
        config=CatalogConfig(batch_size=8, map=MapConfig(method="pca")),
        progress=lambda stage, done, total, unit="photos": reports.append(
            (stage, done, total, unit)
        ),
    )
    stages = list(dict.fromkeys(r[0] for r in reports))
    assert stages == [
        "reading colours",
        "embedding with tiny-random",
        "indexing tiny-random",
        "mapping tiny-random",
        "same-design rule for tiny-random",
    ]
    units = {"mapping tiny-random": "steps", "same-design rule for tiny-random": "fits"}
    for stage in stages:
        seen = [r for r in reports if r[0] == stage]
        assert seen[0][1] == 0, stage  # a bar starts at 0, so its first rate is honest
        assert seen[-1][1] == seen[-1][2] > 0, stage  # and ends full
        assert [r[1] for r in seen] == sorted(r[1] for r in seen), stage
        assert {r[3] for r in seen} == {units.get(stage, "photos")}, stage
