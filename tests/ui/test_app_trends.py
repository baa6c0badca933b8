"""Drives the app's Trends tab with AppTest on the tiny catalog of test_app.py."""

import pytest

from tests.ui.apptest import open_app


@pytest.fixture
def app(data_dir, monkeypatch):
    return open_app(data_dir, monkeypatch, tab="Trends")


def _table_with(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_clusters_rename_and_trends_by_cluster_and_category(app):
    assert "Trends" in [t.label for t in app.tabs]
    assert app.number_input(key="trends_clusters").value == 2  # 4 designs: the minimum
    labels = [t for t in app.text_input if t.key.startswith("trends_name_2_")]
    assert len(labels) == 2
    labels[0].set_value("Round things").run()
    assert not app.exception, app.exception
    trends = _table_with(app, "change_points")
    assert "Round things" in trends["name"].tolist()
    assert len(app.get("plotly_chart")) == 1
    downloads = [e for e in app.get("download_button")]
    assert len(downloads) == 2  # clusters, trend table

    app.radio(key="trends_by").set_value("category").run()
    assert not app.exception, app.exception
    trends = _table_with(app, "change_points")
    assert set(trends["name"]) == {"tops", "bags"}


def test_few_shot_labels_match_the_library(app, data_dir):
    from skill.analysis.fewshot import label_by_prototypes
    from skill.catalog.store import open_catalog

    app.text_input(key="fewshot_labels").set_value("round, angular").run()
    app.multiselect(key="fewshot_items_0").set_value([0]).run()
    app.multiselect(key="fewshot_items_1").set_value([3, 9]).run()
    app.button(key="fewshot_run").click().run()
    assert not app.exception, app.exception
    shown = _table_with(app, "confidence").sort_values("item_id")
    catalog = open_catalog(data_dir / "catalogs" / "tiny")
    expected = label_by_prototypes(
        catalog.embeddings("imagenet-lite0"), {0: "round", 3: "angular", 9: "angular"}
    )
    expected["item_id"] = catalog.items["item_id"].to_numpy()
    expected = expected.sort_values("item_id")
    assert len(shown) == 12
    assert shown["label"].tolist() == expected["label"].tolist()
    assert shown["confidence"].round(6).tolist() == expected["confidence"].round(6).tolist()
    assert len(app.get("download_button")) == 3  # + labels CSV
