"""Drives the app's Trends tab with AppTest on the tiny catalog of test_app.py."""

import pytest

from tests.ui.apptest import open_app


@pytest.fixture
def app(data_dir, monkeypatch):
    return open_app(data_dir, monkeypatch, tab="Trends")


def _table_with(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _shown_columns(at, column):
    """The column headings of the table holding ``column``: column_config labels, else names."""
    import json

    table = next(d for d in at.dataframe if column in d.value.columns)
    config = json.loads(table.proto.columns or "{}")
    names = list(table.value.columns)
    return [config.get(name, {}).get("label") or name for name in names]


def test_clusters_rename_and_trends_by_cluster_and_category(app):
    assert "Trends" in [t.label for t in app.tabs]
    assert app.number_input(key="trends_clusters").value is None  # automatic
    labels = [t for t in app.text_input if t.key.startswith("trends_name_auto_")]
    assert len(labels) == 2
    labels[0].set_value("Round things").run()
    assert not app.exception, app.exception
    trends = _table_with(app, "change_points")
    assert "Round things" in trends["Cluster"].tolist()
    shown = _shown_columns(app, "change_points")
    assert shown == [
        "Cluster", "Launches", "Mean share", "First", "Last", "Change",
        "p-value", "Consistency", "Trend",
    ]  # fmt: skip
    lines = [m.value for m in app.markdown if "Rising:" in m.value or "Falling:" in m.value]
    assert all(ord(c) < 0x2000 for line in lines for c in line)  # no emoji before them
    assert len(app.get("plotly_chart")) == 1
    downloads = [e for e in app.get("download_button")]
    assert len(downloads) == 2  # clusters, trend table

    app.radio(key="trends_by").set_value("category").run()
    assert not app.exception, app.exception
    trends = _table_with(app, "change_points")
    assert set(trends["Category"]) == {"tops", "bags"}


def test_clusters_stay_within_categories_unless_asked_across(app):
    captions = " ".join(c.value for c in app.caption)
    assert "each within one category" in captions
    labels = [t.placeholder for t in app.text_input if t.key.startswith("trends_name_auto_")]
    assert sorted(label.split(" ")[0] for label in labels) == ["bags", "tops"]
    assert all(" 100%" in label for label in labels)  # each label says how true it is
    app.toggle(key="trends_across").set_value(True).run()
    assert not app.exception, app.exception
    assert "across categories" in " ".join(c.value for c in app.caption)
    assert [t for t in app.text_input if t.key.startswith("trends_name_autox_")]
    app.number_input(key="trends_clusters").set_value(3).run()  # a number is shared
    assert [t for t in app.text_input if t.key.startswith("trends_name_3x_")]


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


def test_many_clusters_are_shown_a_page_at_a_time():
    from streamlit.testing.v1 import AppTest

    def script():
        import pandas as pd
        import streamlit as st

        from ui.trends import cluster_page

        st.session_state["shown"] = cluster_page(pd.DataFrame({"cluster": range(30)}))[
            "cluster"
        ].tolist()

    at = AppTest.from_function(script).run()
    assert not at.exception, at.exception
    assert at.session_state["shown"] == list(range(12))
    pages = at.selectbox(key="trends_cluster_page")
    assert pages.options == ["0-11 of 30", "12-23 of 30", "24-29 of 30"]
    pages.set_value(2).run()
    assert at.session_state["shown"] == list(range(24, 30))
