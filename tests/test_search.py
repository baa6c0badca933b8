"""Tests of skill.search: grouping by design, the same-design group, filters, combining."""

import numpy as np
import pytest

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.index import IndexConfig
from skill.catalog.projection import MapConfig
from skill.catalog.store import open_catalog
from skill.search import SearchConfig, combine_queries, search_catalog
from tests.shapes import save_tiny_encoder, write_shapes

ENCODER = "tiny-random"


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory):
    root = tmp_path_factory.mktemp("search")
    encoder_dir = save_tiny_encoder(root / ENCODER)
    write_shapes(root / "photos", copies=2)
    built = {}
    for kind in ("flat", "ivf"):
        config = CatalogConfig(index=IndexConfig(kind=kind), map=MapConfig(method="pca"))
        build_catalog(
            root / "photos",
            root / kind,
            csv_path=root / "photos" / "catalog.csv",
            encoders=[str(encoder_dir)],
            config=config,
        )
        built[kind] = open_catalog(root / kind)
    return built


@pytest.fixture
def catalog(catalogs):
    return catalogs["flat"]


def _row(catalog, item_id: str) -> int:
    return int(np.flatnonzero(catalog.items["item_id"] == item_id)[0])


def test_a_catalog_photo_finds_its_own_design_first(catalog):
    row = _row(catalog, "triangle-blue-1")
    query = catalog.embeddings(ENCODER)[row]
    result = search_catalog(catalog, ENCODER, query, SearchConfig(k=3))
    assert result.same_design is not None and result.same_design.design_id == "triangle"
    assert result.same_design.score == pytest.approx(1.0, abs=1e-5)
    assert result.same_design.hits["item_id"].iat[0] == "triangle-blue-1"
    # The group lists every colour variant of the design, best first.
    assert len(result.same_design.hits) == 8
    assert set(result.same_design.hits["color"]) == {"Red", "Green", "Blue", "Yellow"}
    assert result.same_design.hits["score"].is_monotonic_decreasing
    assert [g.design_id for g in result.similar] != [] and len(result.similar) == 3
    assert "triangle" not in [g.design_id for g in result.similar]
    for group in result.similar:
        assert (group.hits["design_id"] == group.design_id).all()
    assert result.hits["group"].iat[0] == "same design"
    assert len(result.hits) == 32


def test_catalog_item_query_excludes_itself(catalog):
    row = _row(catalog, "cross-red-0")
    result = search_catalog(
        catalog,
        ENCODER,
        catalog.embeddings(ENCODER)[row],
        SearchConfig(k=2),
        query_design="cross",
        exclude_rows=(row,),
    )
    assert result.same_design.design_id == "cross"
    assert "cross-red-0" not in result.same_design.hits["item_id"].tolist()
    assert len(result.same_design.hits) == 7
    assert len(result.similar) == 2


def test_a_new_photo_is_answered_by_the_rule(catalog):
    from skill.catalog.same_design import SameDesignRule

    query = -catalog.embeddings(ENCODER)[0]  # far from everything: no duplicate
    # No rule kept for this encoder: the best design is named but not given as the answer.
    result = search_catalog(catalog, ENCODER, query, SearchConfig(min_score=-1.0))
    assert result.same_design is None
    assert result.answer is not None and not result.answer.accepted
    assert result.answer.probability is None and "no same-design rule" in result.answer.source
    top = result.similar[0].design_id
    assert result.answer.design_id == top
    # A rule that is sure of anything answers with the best design, unfiltered.
    sure = SameDesignRule((0,) * 4, (1,) * 4, (0,) * 4, bias=10.0, accept=0.5,
                          fitted={"source": "test"})  # fmt: skip
    config = SearchConfig(colors=("red",), min_score=-1.0)
    result = search_catalog(catalog, ENCODER, query, config, rule=sure)
    assert result.answer.accepted and result.answer.source == "test"
    assert result.same_design.design_id == top
    assert len(set(result.same_design.hits["color"])) == 4  # every colour, whatever the filter
    assert top not in [g.design_id for g in result.similar]
    assert (
        result.hits.loc[result.hits["group"] == "same design", "same_design_probability"] > 0.99
    ).all()
    # A rule that is never sure does not answer.
    never = SameDesignRule((0,) * 4, (1,) * 4, (0,) * 4, bias=-10.0, accept=0.5)
    result = search_catalog(catalog, ENCODER, query, rule=never)
    assert result.same_design is None and not result.answer.accepted
    assert result.answer.probability < 0.01


def test_colour_and_category_filters(catalog):
    query = catalog.embeddings(ENCODER)[0]

    def similar(result):
        return result.hits[result.hits["group"] == "similar design"]

    result = search_catalog(catalog, ENCODER, query, SearchConfig(colors=("red",)))
    assert set(similar(result)["color"]) == {"Red"}
    result = search_catalog(catalog, ENCODER, query, SearchConfig(categories=("angular",)))
    assert set(similar(result)["design_id"]) == {"square", "triangle", "cross"}
    assert result.same_design.design_id == "circle"  # the query's own design, every colour
    result = search_catalog(catalog, ENCODER, query, SearchConfig(min_score=1.5))
    assert result.similar == []
    # The query is a catalog photo: its own design still answers, with every colour.
    assert result.same_design.design_id == "circle" and len(result.same_design.hits) == 8


def test_combining_several_photos(catalog):
    x = catalog.embeddings(ENCODER)
    rows = [_row(catalog, "square-red-0"), _row(catalog, "square-green-0")]
    mean = search_catalog(catalog, ENCODER, x[rows], SearchConfig(combine="mean"))
    single = search_catalog(catalog, ENCODER, combine_queries(x[rows]), SearchConfig())
    assert mean.hits["item_id"].tolist() == single.hits["item_id"].tolist()
    best = search_catalog(catalog, ENCODER, x[rows], SearchConfig(combine="max"))
    top = best.same_design.hits.set_index("item_id")["score"]
    assert top["square-red-0"] == pytest.approx(1.0, abs=1e-4)
    assert top["square-green-0"] == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(np.linalg.norm(combine_queries(x[rows])), 1, atol=1e-6)


def test_approximate_index_gives_the_exact_groups(catalogs):
    flat, ivf = catalogs["flat"], catalogs["ivf"]
    for row in (0, 9, 17, 30):
        query = flat.embeddings(ENCODER)[row]
        a = search_catalog(flat, ENCODER, query, SearchConfig(k=3))
        b = search_catalog(ivf, ENCODER, query, SearchConfig(k=3))
        assert a.hits[["item_id", "score"]].equals(b.hits[["item_id", "score"]])


def test_config_validation():
    with pytest.raises(ValueError, match="combine"):
        SearchConfig(combine="min")
    with pytest.raises(ValueError, match="k must be"):
        SearchConfig(k=0)


def test_in_memory_catalog_at_scale_matches_brute_force_grouping():
    import pandas as pd

    from skill.catalog.index import build_index
    from skill.catalog.store import Catalog

    rng = np.random.default_rng(0)
    designs = 1500
    centres = rng.standard_normal((designs, 32)).astype(np.float32)
    rows = np.repeat(np.arange(designs), 2)
    x = centres[rows] + 0.3 * rng.standard_normal((len(rows), 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    items = pd.DataFrame(
        {
            "item_id": [str(i) for i in range(len(rows))],
            "design_id": [f"d{d}" for d in rows],
            "color": ["Red", "Blue"] * designs,
            "color_name": ["red", "blue"] * designs,
            "category": ["Top"] * len(rows),
        }
    )
    flat = Catalog.from_arrays(items, {"e": x}, {"e": build_index(x, IndexConfig(kind="flat"))})
    query = x[10] + 0.05 * rng.standard_normal(32).astype(np.float32)
    query /= np.linalg.norm(query)
    result = search_catalog(flat, "e", query, SearchConfig(k=5))
    assert result.same_design is None  # no same-design rule in an in-memory catalog
    # Brute force: designs by their best photo's score.
    scores = x @ query
    best = pd.Series(scores).groupby(rows).max().sort_values(ascending=False)
    assert [g.design_id for g in result.similar] == [f"d{d}" for d in best.index[:5]]
    for group in result.similar:
        assert len(group.hits) == 2 and group.hits["score"].is_monotonic_decreasing
    red = search_catalog(flat, "e", query, SearchConfig(k=3, colors=("Red",)))
    assert (red.hits["color"] == "Red").all() and len(red.hits) == 3
    with pytest.raises(ValueError, match="embeddings for"):
        Catalog.from_arrays(items.iloc[:5], {"e": x}, {"e": None})


def test_attribute_filter_keeps_photos_with_every_chosen_fact(catalog):
    from skill.catalog.attribute_table import CatalogAttributes

    circles = (catalog.items["design_id"] == "circle").to_numpy()
    blue = catalog.items["item_id"].str.contains("blue").to_numpy()
    catalog._attributes = CatalogAttributes(
        "m", ["pattern: Dot", "hood"], ["Dot", "hood"], ["pattern", "details"], [0.5, 0.5], 0.5,
        np.stack([circles, blue], axis=1).astype(np.float16), {},
    )  # fmt: skip
    try:
        query = catalog.embeddings(ENCODER)[_row(catalog, "square-red-0")]
        result = search_catalog(
            catalog, ENCODER, query, SearchConfig(k=10, attributes=("pattern: Dot",))
        )
        # The photo is recognised as a square; its own design shows whatever the filters.
        similar = result.hits[result.hits["group"] == "similar design"]
        assert set(similar["design_id"]) == {"circle"} and len(similar) == 8
        both = SearchConfig(k=10, attributes=("pattern: Dot", "hood"))
        hits = search_catalog(catalog, ENCODER, query, both).hits
        similar = hits[hits["group"] == "similar design"]
        assert set(similar["item_id"]) == {"circle-blue-0", "circle-blue-1"}
        with pytest.raises(ValueError, match="no attribute 'sleeves: long'"):
            search_catalog(catalog, ENCODER, query, SearchConfig(attributes=("sleeves: long",)))
    finally:
        catalog._attributes = None


def _unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _in_memory(x, designs):
    import pandas as pd

    from skill.catalog.index import build_index
    from skill.catalog.store import Catalog

    items = pd.DataFrame(
        {
            "item_id": [str(i) for i in range(len(x))],
            "design_id": designs,
            "color": [""] * len(x),
            "color_name": ["red"] * len(x),
            "category": ["Top"] * len(x),
        }
    )
    return Catalog.from_arrays(items, {"e": x}, {"e": build_index(x, IndexConfig(kind="flat"))})


def test_a_group_heading_score_is_its_first_card_score():
    # Cosine 0.23504 reads "0.24" unrounded but its card (4 decimals: 0.2350) reads "0.23".
    e1, e2, e3 = np.eye(3, dtype=np.float32)
    x = _unit([0.23504 * e1 + np.sqrt(1 - 0.23504**2) * e2, e3, -e1])
    catalog = _in_memory(x, ["a", "b", "c"])
    result = search_catalog(catalog, "e", e1, SearchConfig(k=3))
    group = result.similar[0]
    assert group.design_id == "a"
    assert group.score == group.hits["score"].iat[0]
    assert f"{group.score:.2f}" == f"{group.hits['score'].iat[0]:.2f}" == "0.23"


def test_closest_other_design_scores_equal_brute_force_and_flag_weak_matches():
    from skill.search import WEAK_MATCH_SHARE, closest_other_design_scores, match_share

    rng = np.random.default_rng(0)
    designs = np.repeat(np.arange(60), 3)
    centres = rng.standard_normal((60, 16))
    x = _unit(centres[designs] + 0.4 * rng.standard_normal((len(designs), 16)))
    x = np.pad(x, ((0, 0), (0, 1)))  # a 17th dimension no catalog photo uses
    catalog = _in_memory(x, [f"d{d}" for d in designs])
    scores = x @ x.T
    scores[designs[:, None] == designs[None, :]] = -np.inf  # own design (and itself) left out
    expected = np.sort(scores.max(axis=1))
    np.testing.assert_allclose(closest_other_design_scores(catalog, "e"), expected, atol=1e-5)
    assert match_share(catalog, "e", float(expected[9]) + 1e-6) == pytest.approx(10 / 180)

    unrelated = search_catalog(catalog, "e", np.eye(17, dtype=np.float32)[16])  # cosine 0
    assert unrelated.best_score < expected[0] and unrelated.match_share == 0.0
    assert unrelated.weak
    near = search_catalog(catalog, "e", _unit(x[5] + 0.1 * rng.standard_normal(17)))
    assert near.match_share > WEAK_MATCH_SHARE and not near.weak
    item = search_catalog(catalog, "e", x[5], query_design="d1", exclude_rows=(5,))
    assert item.match_share is None and not item.weak  # only new photos are judged
