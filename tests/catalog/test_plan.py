"""Tests of skill.catalog.plan: what a build will do (create, add, refresh, replace, prune).

The plan reads file listings and the live catalog's tables only, so these tests build one real
catalog (tiny encoder) and then plan against it without embedding anything.
"""

import json

import pytest

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.plan import SHRINK_LIMIT, next_source_key, plan_build
from skill.catalog.projection import MapConfig
from skill.catalog.source import CatalogInputError
from skill.catalog.store import CatalogSource, open_catalog
from tests.shapes import write_shapes

CONFIG = CatalogConfig(map=MapConfig(method="pca"))


@pytest.fixture
def built(tmp_path, tiny_encoder_dir):
    """A catalog of 16 shape photos (with catalog.csv), and its photos folder."""
    photos = tmp_path / "photos"
    write_shapes(photos)
    catalog = tmp_path / "cat"
    build_catalog(
        photos, catalog, photos / "catalog.csv", encoders=[str(tiny_encoder_dir)], config=CONFIG
    )
    return catalog, photos


def test_a_new_catalog_is_created_from_its_first_source(tmp_path):
    photos = tmp_path / "photos"
    write_shapes(photos, csv_name=None)
    plan = plan_build(photos, tmp_path / "new")
    assert plan.action == "create" and plan.added == 16 and plan.existing == 0
    assert plan.source.key == "s1" and plan.source.images_dir == photos.resolve()
    assert not plan.needs_confirmation
    assert "creates the catalog" in plan.describe()
    assert not (tmp_path / "new").exists()  # planning writes nothing


def test_an_empty_or_wrong_folder_has_nothing_to_index(tmp_path, built):
    catalog, _ = built
    (tmp_path / "EMPTY").mkdir()
    with pytest.raises(CatalogInputError, match="nothing to index in 'EMPTY': no photo found"):
        plan_build(tmp_path / "EMPTY", catalog)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("x")
    with pytest.raises(CatalogInputError, match=r"1 entries left out: notes.txt: "):
        plan_build(tmp_path / "docs", catalog)


def test_a_new_folder_is_added_beside_the_existing_source(tmp_path, built):
    catalog, _ = built
    more = tmp_path / "more"
    write_shapes(more, fills=("Red",), copies=2, csv_name=None)  # ids circle-red-0, -1, ...
    plan = plan_build(more, catalog)
    assert plan.action == "add" and plan.source.key == "s2"
    # circle-red-0 etc. are already in the catalog (from the CSV): the catalog's rows win.
    assert plan.added == 4 and plan.existing == 16 and plan.after == 20
    clashes = plan.left_out[plan.left_out["reason"].str.contains("already in the catalog")]
    assert sorted(clashes["image_path"]) == [f"{s}-red-0.jpg" for s in sorted(SHAPES)]
    assert "from folder 'photos'" in clashes["reason"].iat[0]
    assert plan.removed.empty and not plan.needs_confirmation
    assert plan.items["item_id"].is_unique
    assert plan.items["source"].value_counts().to_dict() == {"s1": 16, "s2": 4}
    assert [s.key for s in plan.sources] == ["s1", "s2"]
    text = plan.describe()
    assert text.startswith("adds folder 'more' to the catalog: 4 new photos")
    assert "16 photos of 1 other source kept" in text
    assert str(tmp_path) not in text  # the app shows it: no server path


SHAPES = ("circle", "square", "triangle", "cross")


def test_a_source_whose_ids_are_all_taken_has_nothing_to_index(tmp_path, built):
    catalog, photos = built
    copy = tmp_path / "copy"
    write_shapes(copy)  # the same ids as the catalog's
    with pytest.raises(CatalogInputError, match="already in the catalog from another source"):
        plan_build(copy, catalog, copy / "catalog.csv")


def test_a_known_folder_is_refreshed_with_its_recorded_csv(built):
    catalog, photos = built
    plan = plan_build(photos, catalog)  # no CSV given: the one it was indexed with
    assert plan.action == "refresh" and plan.source.key == "s1"
    assert plan.source.csv == (photos / "catalog.csv").resolve()
    assert plan.added == 0 and plan.updated == 16 and plan.removed.empty
    assert set(plan.items["design_id"]) == set(SHAPES)  # labels kept


def test_rows_a_source_no_longer_lists_are_kept_unless_pruned(built):
    catalog, photos = built
    (photos / "circle-red-0.jpg").unlink()
    plan = plan_build(photos, catalog)
    assert plan.kept["item_id"].tolist() == ["circle-red-0"] and plan.removed.empty
    assert plan.after == 16
    pruned = plan_build(photos, catalog, prune=True)
    assert pruned.kept.empty and pruned.after == 15
    assert pruned.removed[["item_id", "reason"]].values.tolist() == [
        ["circle-red-0", "no longer in its source"]
    ]


def test_prune_also_drops_rows_of_other_sources_whose_photo_is_gone(tmp_path, built):
    catalog, photos = built
    more = tmp_path / "more"
    write_shapes(more, shapes=("circle",), fills=("Red",), csv_name=None)
    (more / "circle-red-0.jpg").rename(more / "extra.jpg")
    build_catalog(more, catalog, config=CONFIG, encoders=[])
    (photos / "square-blue-0.jpg").unlink()
    plan = plan_build(more, catalog, prune=True)
    assert plan.removed[["item_id", "reason"]].values.tolist() == [
        ["square-blue-0", "photo file gone"]
    ]


def test_replace_starts_over_and_most_rows_dropped_needs_confirmation(tmp_path, built):
    catalog, _ = built
    small = tmp_path / "small"
    write_shapes(small, shapes=("circle",), fills=("Red",), csv_name=None)
    plan = plan_build(small, catalog, replace=True)
    assert plan.action == "replace" and plan.after == 1 and len(plan.sources) == 1
    assert (
        len(plan.removed) == 15
        and (plan.removed["reason"] == "replaced (not in the new source)").all()
    )
    assert SHRINK_LIMIT * 16 < 15 and plan.needs_confirmation
    assert "Needs confirmation" in plan.describe()


def test_dropping_half_or_less_needs_no_confirmation(built):
    catalog, photos = built
    for name in ("circle", "square"):
        for colour in ("red", "blue", "green", "yellow"):
            (photos / f"{name}-{colour}-0.jpg").unlink()
    plan = plan_build(photos, catalog, prune=True)
    assert len(plan.removed) == 8 and not plan.needs_confirmation
    (photos / "cross-red-0.jpg").unlink()
    assert plan_build(photos, catalog, prune=True).needs_confirmation


def test_a_photo_listed_under_a_new_id_counts_as_removed(tmp_path, built):
    catalog, photos = built
    csv = photos / "renamed.csv"
    csv.write_text(
        "id,image_path\n" + "".join(f"new-{i},{p}\n" for i, p in enumerate(_jpgs(photos)))
    )
    plan = plan_build(photos, catalog, csv)
    assert plan.action == "refresh" and len(plan.removed) == 16
    assert (plan.removed["reason"] == "listed under another id now").all()
    assert plan.needs_confirmation and plan.kept.empty


def _jpgs(folder):
    return sorted(p.name for p in folder.glob("*.jpg"))


def test_a_catalog_written_before_sources_has_one_source(built):
    catalog, photos = built
    version = open_catalog(catalog).version
    manifest = json.loads((version / "manifest.json").read_text())
    del manifest["sources"]
    (version / "manifest.json").write_text(json.dumps(manifest))
    items = (version / "items.csv").read_text().splitlines()
    header = items[0].split(",")
    at = header.index("source")
    rows = [",".join(v for j, v in enumerate(line.split(",")) if j != at) for line in items]
    (version / "items.csv").write_text("\n".join(rows) + "\n")

    old = open_catalog(catalog)
    assert [s.key for s in old.sources] == ["s1"] and old.sources[0].csv is None
    assert old.sources[0].images_dir == photos.resolve()
    assert (old.items["source"] == "s1").all() and old.image_path(3).is_file()
    plan = plan_build(photos, catalog, photos / "catalog.csv")
    assert plan.action == "refresh" and plan.added == 0 and plan.removed.empty


def test_source_keys_and_records():
    sources = [
        CatalogSource("s1", tmp := __import__("pathlib").Path("/a")),
        CatalogSource("s4", tmp),
    ]
    assert next_source_key(sources) == "s5" and next_source_key([]) == "s1"
    record = CatalogSource("s2", tmp, tmp / "l.csv", {"id": "sku"}, items=3, indexed="t")
    assert CatalogSource.from_json(record.to_json()) == record
