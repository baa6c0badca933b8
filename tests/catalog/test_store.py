"""Tests of skill.catalog.store: building, opening, incremental re-index and damaged folders."""

import numpy as np
import pytest

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.index import IndexConfig
from skill.catalog.projection import MapConfig
from skill.catalog.store import CatalogError, open_catalog
from tests.shapes import FILLS, draw_shape

CONFIG = CatalogConfig(batch_size=8, part_size=8, map=MapConfig(method="pca"))


@pytest.fixture
def encoder_dir(tiny_encoder_dir):
    return tiny_encoder_dir


@pytest.fixture
def photos(shape_photos):
    return shape_photos


def test_build_and_open(tmp_path, photos, encoder_dir):
    stages = set()
    summary = build_catalog(
        photos,
        tmp_path / "cat",
        csv_path=photos / "catalog.csv",
        encoders=[str(encoder_dir)],
        config=CONFIG,
        progress=lambda stage, done, total, unit="": stages.add(stage),
    )
    assert summary.items == 16 and summary.skipped.empty
    assert summary.embedded == {"tiny-random": 16} and summary.reused == {"tiny-random": 0}
    one_decode = [s for s in stages if s.startswith("reading colours")]  # one decode per photo
    assert len(one_decode) == 1 and "embedding with tiny-random" in one_decode[0]

    catalog = open_catalog(tmp_path / "cat")
    assert catalog.encoders == ["tiny-random"]
    assert len(catalog.items) == 16
    assert set(catalog.items["design_id"]) == {"circle", "square", "triangle", "cross"}
    assert catalog.embeddings("tiny-random").shape == (16, 16)
    np.testing.assert_allclose(
        np.linalg.norm(catalog.embeddings("tiny-random"), axis=1), 1, atol=1e-5
    )
    assert catalog.coords("tiny-random").shape == (16, 2)
    assert catalog.index("tiny-random").ntotal == 16
    assert catalog.manifest["counts"] == {"items": 16, "skipped": 0, "designs": 4}
    assert catalog.image_path(0).is_file()
    red = catalog.items[catalog.items["color"] == "Red"]
    assert (red["color_name"] == "Red").all()
    with pytest.raises(CatalogError, match="no embeddings for 'other'"):
        catalog.embeddings("other")


def test_reindex_embeds_only_new_photos(tmp_path, photos, encoder_dir):
    build_catalog(photos, tmp_path / "cat", encoders=[str(encoder_dir)], config=CONFIG)
    first = open_catalog(tmp_path / "cat")
    old = dict(zip(first.items["item_id"], first.embeddings("tiny-random"), strict=True))
    draw_shape("circle", FILLS["Red"], offset=5).save(photos / "new-circle.jpg")
    summary = build_catalog(photos, tmp_path / "cat", encoders=[str(encoder_dir)], config=CONFIG)
    assert summary.embedded == {"tiny-random": 1} and summary.reused == {"tiny-random": 16}
    second = open_catalog(tmp_path / "cat")
    assert len(second.items) == 17
    # Unchanged photos keep exactly the vectors they had.
    for item_id, vector in zip(
        second.items["item_id"], second.embeddings("tiny-random"), strict=True
    ):
        if item_id in old:
            np.testing.assert_array_equal(vector, old[item_id])
    # The previous version stays one build longer for readers that still have it open.
    assert len(list((tmp_path / "cat").glob("v-*"))) == 2
    assert first.version.exists()


def test_extending_keeps_the_catalogs_encoders(tmp_path, photos, encoder_dir):
    build_catalog(photos, tmp_path / "cat", encoders=[str(encoder_dir)], config=CONFIG)
    summary = build_catalog(photos, tmp_path / "cat", encoders=[], config=CONFIG)
    assert summary.reused == {"tiny-random": 16} and summary.embedded == {"tiny-random": 0}


def test_bad_photos_are_skipped_with_reasons(tmp_path, photos, encoder_dir):
    (photos / "empty.jpg").write_bytes(b"")
    (photos / "text.png").write_text("not an image")
    summary = build_catalog(photos, tmp_path / "cat", encoders=[str(encoder_dir)], config=CONFIG)
    assert summary.items == 16
    reasons = dict(zip(summary.skipped["image_path"], summary.skipped["reason"], strict=True))
    assert reasons == {
        "catalog.csv": "a CSV, not a photo (give it as the label CSV to use its labels)",
        "empty.jpg": "empty file (0 bytes)",
        "text.png": "not an image (unrecognised file format)",
    }
    assert len(open_catalog(tmp_path / "cat").skipped) == 3


def test_approximate_index_is_used_when_asked(tmp_path, photos, encoder_dir):
    config = CatalogConfig(index=IndexConfig(kind="ivf"), map=MapConfig(method="pca"))
    build_catalog(photos, tmp_path / "cat", encoders=[str(encoder_dir)], config=config)
    assert type(open_catalog(tmp_path / "cat").index("tiny-random")).__name__ == "IndexIVFFlat"


def test_missing_and_damaged_catalogs(tmp_path, photos, encoder_dir):
    with pytest.raises(CatalogError, match="no catalog at"):
        open_catalog(tmp_path / "nothing")
    build_catalog(photos, tmp_path / "cat", encoders=[str(encoder_dir)], config=CONFIG)
    (open_catalog(tmp_path / "cat").version / "manifest.json").unlink()
    with pytest.raises(CatalogError, match="damaged"):
        open_catalog(tmp_path / "cat")


def test_catalog_opened_before_a_rebuild_still_loads(tmp_path, photos, encoder_dir):
    build_catalog(photos, tmp_path / "cat", encoders=[str(encoder_dir)], config=CONFIG)
    before = open_catalog(tmp_path / "cat")  # arrays not loaded yet: they load lazily
    draw_shape("circle", FILLS["Red"], offset=7).save(photos / "extra.png")
    build_catalog(photos, tmp_path / "cat", encoders=[str(encoder_dir)], config=CONFIG)
    assert before.embeddings("tiny-random").shape == (16, 16)
    assert len(open_catalog(tmp_path / "cat").items) == 17
    build_catalog(photos, tmp_path / "cat", encoders=[str(encoder_dir)], config=CONFIG)
    assert len(list((tmp_path / "cat").glob("v-*"))) == 2  # current and previous only
