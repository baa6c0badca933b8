"""Concurrency: one shared encoder and catalog index, many threads at once.

The app shares one encoder and one opened catalog between all sessions (``st.cache_resource``).
Twenty threads embed photos and search through those shared objects at the same time; every
result must equal the single-threaded one. The load on the real server is measured by
``benchmarks/load_test.py``.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.index import IndexConfig
from skill.catalog.projection import MapConfig
from skill.catalog.store import open_catalog
from skill.encoders.embedding import embed_images
from skill.encoders.encoder import load_encoder
from skill.search import SearchConfig, search_catalog
from tests.shapes import FILLS, draw_shape, save_tiny_encoder, write_shapes

THREADS = 20
ROUNDS = 3


@pytest.fixture(scope="module", params=["flat", "ivf"])
def shared(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"concurrent-{request.param}")
    encoder_dir = save_tiny_encoder(root / "tiny-random")
    write_shapes(root / "photos", copies=2)
    config = CatalogConfig(index=IndexConfig(kind=request.param), map=MapConfig(method="pca"))
    build_catalog(
        root / "photos",
        root / "cat",
        csv_path=root / "photos" / "catalog.csv",
        encoders=[str(encoder_dir)],
        config=config,
    )
    queries = [draw_shape(shape, FILLS[colour], offset=1) for shape, colour in
               [("circle", "Blue"), ("cross", "Red"), ("square", "Yellow"), ("triangle", "Green")]]  # fmt: skip
    # Opened once and shared, like the app's cached resources; the index loads lazily.
    return open_catalog(root / "cat"), load_encoder(encoder_dir), queries


def _search_once(catalog, encoder, image, config):
    vectors = embed_images(encoder, [image], batch_size=1, num_threads=1).embeddings
    result = search_catalog(catalog, encoder.name, vectors, config)
    return vectors, result.hits[["item_id", "score", "group"]]


def test_twenty_threads_get_the_single_threaded_results(shared):
    catalog, encoder, queries = shared
    configs = [SearchConfig(k=3), SearchConfig(k=2, colors=("Red", "Blue"), combine="max")]
    jobs = [(q, c) for q in range(len(queries)) for c in range(len(configs))]
    # Reference results, one at a time. Computed after the threads start on a *fresh* catalog
    # object below, so the lazy loading of arrays and the index is raced too.
    expected = {
        job: _search_once(catalog, encoder, queries[job[0]], configs[job[1]]) for job in jobs
    }

    fresh = open_catalog(catalog.path)

    def work(n: int):
        job = jobs[n % len(jobs)]
        return job, _search_once(fresh, encoder, queries[job[0]], configs[job[1]])

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(work, range(THREADS * ROUNDS)))
    assert len(results) == THREADS * ROUNDS
    for job, (vectors, hits) in results:
        expected_vectors, expected_hits = expected[job]
        np.testing.assert_allclose(vectors, expected_vectors, atol=1e-5)
        assert hits["item_id"].tolist() == expected_hits["item_id"].tolist()
        np.testing.assert_allclose(hits["score"], expected_hits["score"], atol=1e-4)
        assert hits["group"].tolist() == expected_hits["group"].tolist()


def test_concurrent_catalog_item_searches_hit_the_shared_index(shared):
    catalog, encoder, _ = shared
    x = catalog.embeddings(encoder.name)
    expected = [
        search_catalog(catalog, encoder.name, x[row], SearchConfig(k=4)).hits["item_id"].tolist()
        for row in range(len(x))
    ]

    def work(row: int):
        return row, search_catalog(catalog, encoder.name, x[row], SearchConfig(k=4))

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for row, result in pool.map(work, [r % len(x) for r in range(THREADS * 8)]):
            assert result.hits["item_id"].tolist() == expected[row]
            assert result.hits["item_id"].iat[0] == catalog.items["item_id"].iat[row]
