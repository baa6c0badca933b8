"""Promises of the Map tab (ui/map.py): the map is the catalog's stored one, never refitted."""

import base64
import json
import sys
import types

import numpy as np
import pytest

from tests.ui.apptest import open_app


def _array(values) -> np.ndarray:
    if isinstance(values, dict):  # plotly >= 6 ships arrays as base64
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)


@pytest.fixture
def no_refit(monkeypatch):
    """Fitting a map, by any route, raises: fit_map, its PCA and UMAP itself."""
    import skill.catalog.projection
    import skill.catalog.version

    def refit(*args, **kwargs):
        raise AssertionError("a map was fitted on a page load")

    for module in (skill.catalog.projection, skill.catalog.version):
        monkeypatch.setattr(module, "fit_map", refit)
    monkeypatch.setattr(skill.catalog.projection, "principal_components", refit)
    fake_umap = types.ModuleType("umap")
    fake_umap.UMAP = refit
    monkeypatch.setitem(sys.modules, "umap", fake_umap)


def test_map_tab_draws_the_stored_map_and_never_fits_one(data_dir, monkeypatch, no_refit):
    from skill.catalog.store import open_catalog

    app = open_app(data_dir, monkeypatch)
    app.radio(key="query_mode").set_value("Pick a catalog item").run()
    app.selectbox(key="query_item").set_value(4).run()  # a query: the map shows a star too
    app.session_state["tab"] = "Map"
    app.run()
    stored = np.load(
        open_catalog(data_dir / "catalogs" / "tiny").version / "imagenet-lite0" / "map.npy"
    )
    for by in ("category", "design cluster", "colour", "date"):
        app.selectbox(key="map_color").set_value(by).run()
        assert not app.exception, (by, app.exception)
        (chart,) = app.get("plotly_chart")
        traces = json.loads(chart.proto.spec)["data"]
        assert traces[-1]["name"] == "your query"
        points = np.concatenate(
            [np.stack([_array(t["x"]), _array(t["y"])], axis=1) for t in traces[:-1]]
        )
        # Every stored map point is drawn, and nothing else (rows in trace order).
        assert len(points) == len(stored)
        assert sorted(map(tuple, points.round(5))) == sorted(map(tuple, stored.round(5)))


def test_groups_beyond_the_palette_are_chosen_from_a_searchable_list():
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from ui.map import highlight_ui

        labels = [f"type {i:02d}" for i in range(20) for _ in range(i + 1)]
        st.session_state["chosen"] = highlight_ui(labels, "category")

    at = AppTest.from_function(script).run()
    assert not at.exception, at.exception
    box = at.multiselect(key="map_highlight_category")
    assert box.options[:2] == ["type 19 (20)", "type 18 (19)"]  # largest first, with sizes
    assert "12 largest of 20" in box.placeholder
    assert at.session_state["chosen"] == []  # nothing chosen: the largest are coloured
    box.set_value(["type 03", "type 11"]).run()
    assert at.session_state["chosen"] == ["type 03", "type 11"]
