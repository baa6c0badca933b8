"""Tests of skill.catalog.build over several sources: nothing in a catalog is lost by accident.

- an empty or wrong folder stops the build and leaves the catalog (and its versions) untouched;
- a second folder is added beside the first, each row's photo resolved under its own folder;
- a known folder is refreshed; ``replace`` starts over; ``prune`` removes gone photos;
- a build that would remove most rows needs ``allow_shrink``;
- a photo replaced by a broken file keeps the catalog's earlier row;
- the map a build stores is the one its config asks for (UMAP, not a PCA stand-in).
"""

import json

import numpy as np
import pytest

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.plan import CatalogShrinkError
from skill.catalog.projection import MapConfig, fit_map
from skill.catalog.source import CatalogInputError
from skill.catalog.store import open_catalog
from skill.search import SearchConfig, search_catalog
from tests.shapes import FILLS, draw_shape, write_shapes

CONFIG = CatalogConfig(batch_size=8, part_size=8, map=MapConfig(method="pca"))


@pytest.fixture
def first(tmp_path, tiny_encoder_dir):
    """A catalog of 16 labelled shape photos; returns (catalog, photos, build)."""
    photos = tmp_path / "photos"
    write_shapes(photos)
    catalog = tmp_path / "cat"

    def build(images, csv=None, **flags):
        return build_catalog(
            images, catalog, csv, encoders=[str(tiny_encoder_dir)], config=CONFIG, **flags
        )

    build(photos, photos / "catalog.csv")
    return catalog, photos, build


def _versions(catalog):
    return sorted(p.name for p in catalog.glob("v-*"))


def test_an_empty_folder_stops_and_leaves_the_catalog_untouched(tmp_path, first):
    catalog, photos, build = first
    before, versions = open_catalog(catalog), _versions(catalog)
    (tmp_path / "EMPTY").mkdir()
    for _ in range(2):  # a second run must not delete the previous good version either
        with pytest.raises(CatalogInputError, match="nothing to index in 'EMPTY'"):
            build(tmp_path / "EMPTY")
        with pytest.raises(CatalogInputError, match="nothing to index"):
            build(tmp_path / "EMPTY", replace=True, allow_shrink=True)
    assert _versions(catalog) == versions
    after = open_catalog(catalog)
    assert after.version == before.version and after.items.equals(before.items)


def test_nothing_to_index_creates_no_catalog(tmp_path, tiny_encoder_dir):
    (tmp_path / "EMPTY").mkdir()
    with pytest.raises(CatalogInputError, match="nothing to index"):
        build_catalog(tmp_path / "EMPTY", tmp_path / "new", encoders=[str(tiny_encoder_dir)])
    assert not (tmp_path / "new").exists()


def test_a_second_folder_is_added_and_each_photo_found_under_its_own_folder(tmp_path, first):
    catalog, photos, build = first
    before = open_catalog(catalog)
    old_vectors = dict(
        zip(before.items["item_id"], before.embeddings("tiny-random").copy(), strict=True)
    )
    more = tmp_path / "summer"
    write_shapes(more, fills=("Red",), csv_name=None)
    for path in more.glob("*.jpg"):  # ids differ from the first source's
        path.rename(more / f"summer-{path.name}")
    summary = build(more)
    assert summary.plan.action == "add" and summary.plan.added == 4
    assert summary.items == 20 and summary.embedded == {"tiny-random": 4}

    catalog_now = open_catalog(catalog)
    assert len(catalog_now.items) == 20 and catalog_now.index("tiny-random").ntotal == 20
    assert [s.images_dir for s in catalog_now.sources] == [photos.resolve(), more.resolve()]
    assert [s.items for s in catalog_now.sources] == [16, 4]
    assert catalog_now.sources[0].csv == (photos / "catalog.csv").resolve()
    for row in range(20):
        path = catalog_now.image_path(row)
        assert path.is_file() and path.name == catalog_now.items["image_path"].iat[row]
        root = photos if catalog_now.items["source"].iat[row] == "s1" else more
        assert path.parent == root.resolve()
    # The first source's rows keep their labels and exactly their vectors.
    first_rows = catalog_now.items[catalog_now.items["source"] == "s1"]
    assert set(first_rows["design_id"]) == {"circle", "square", "triangle", "cross"}
    for row in first_rows.index:
        item = catalog_now.items["item_id"].iat[row]
        np.testing.assert_array_equal(catalog_now.embeddings("tiny-random")[row], old_vectors[item])
    # A photo of the new folder finds itself (and its identical twin of the first folder).
    query = catalog_now.embeddings("tiny-random")[-1:]
    hits = search_catalog(catalog_now, "tiny-random", query, SearchConfig(k=3)).hits
    top = hits[hits["score"] > 0.9999]
    assert set(top["item_id"]) == {"summer-triangle-red-0", "triangle-red-0"}


def test_refreshing_a_known_folder_adds_new_photos_and_keeps_the_others(tmp_path, first):
    catalog, photos, build = first
    more = tmp_path / "more"
    write_shapes(more, shapes=("circle",), fills=("Red",), csv_name=None)
    (more / "circle-red-0.jpg").rename(more / "extra-0.jpg")
    build(more)
    draw_shape("square", FILLS["Red"], offset=9).save(photos / "new-square.jpg")
    with open(photos / "catalog.csv", "a") as handle:
        handle.write("new-square,new-square.jpg,square,Red,angular,Red square\n")
    summary = build(photos)  # the recorded CSV is used again
    assert summary.plan.action == "refresh" and summary.plan.added == 1
    assert summary.embedded == {"tiny-random": 1} and summary.reused == {"tiny-random": 17}
    assert len(open_catalog(catalog).items) == 18


def test_replace_needs_allow_shrink_when_it_drops_most_rows(tmp_path, first):
    catalog, _, build = first
    small = tmp_path / "small"
    write_shapes(small, shapes=("circle",), fills=("Red", "Blue"), csv_name=None)
    live = open_catalog(catalog).version
    with pytest.raises(CatalogShrinkError, match="remove 14 of the catalog's 16 photos") as caught:
        build(small, replace=True)
    assert caught.value.plan.needs_confirmation and len(caught.value.plan.removed) == 14
    assert open_catalog(catalog).version == live
    summary = build(small, replace=True, allow_shrink=True)
    assert summary.plan.action == "replace" and summary.items == 2
    assert [s.images_dir for s in open_catalog(catalog).sources] == [small.resolve()]


def test_prune_removes_rows_whose_photo_is_gone(first):
    catalog, photos, build = first
    (photos / "cross-red-0.jpg").unlink()
    kept = build(photos)
    assert kept.items == 16 and len(kept.plan.kept) == 1  # kept until pruned
    pruned = build(photos, prune=True)
    assert pruned.items == 15 and pruned.plan.removed["item_id"].tolist() == ["cross-red-0"]
    assert "cross-red-0" not in set(open_catalog(catalog).items["item_id"])


def test_a_photo_replaced_by_a_broken_file_keeps_its_earlier_row(first):
    catalog, photos, build = first
    before = open_catalog(catalog)
    row = int(np.flatnonzero(before.items["item_id"] == "circle-red-0")[0])
    vector = before.embeddings("tiny-random")[row].copy()
    (photos / "circle-red-0.jpg").write_bytes(b"not a jpeg any more")
    summary = build(photos)
    assert summary.items == 16
    reasons = dict(zip(summary.skipped["image_path"], summary.skipped["reason"], strict=True))
    assert "keeps its earlier photo" in reasons["circle-red-0.jpg"]
    after = open_catalog(catalog)
    row = int(np.flatnonzero(after.items["item_id"] == "circle-red-0")[0])
    np.testing.assert_array_equal(after.embeddings("tiny-random")[row], vector)


def test_kept_rows_get_their_vectors_back_when_the_cache_is_gone(tmp_path, first):
    catalog, photos, build = first
    more = tmp_path / "more"
    write_shapes(more, shapes=("cross",), fills=("Red",), csv_name=None)
    (more / "cross-red-0.jpg").rename(more / "x.jpg")
    import shutil

    shutil.rmtree(catalog / "cache")
    for path in photos.glob("*.jpg"):  # the first source's photos are gone too
        path.unlink()
    summary = build(more)
    assert summary.items == 17 and summary.embedded == {"tiny-random": 1}


def test_the_manifest_records_its_sources(first):
    catalog, photos, _ = first
    manifest = json.loads((open_catalog(catalog).version / "manifest.json").read_text())
    assert manifest["images_dir"] == str(photos.resolve())
    (source,) = manifest["sources"]
    assert source["key"] == "s1" and source["csv"] == str((photos / "catalog.csv").resolve())
    assert source["items"] == 16 and source["columns"] == {}


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
    from skill.attributes.checkpoint import DEFAULT_MODEL, list_attribute_models

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
    attributes = DEFAULT_MODEL in list_attribute_models()
    assert stages == [
        "reading colours, embedding with tiny-random and predicting attributes"  # one decode
        if attributes
        else "reading colours and embedding with tiny-random",
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
