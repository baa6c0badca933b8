"""Promises of the attribute features: tags on cards, filters in Search, the Map and Trends by
attribute, CSV exports; on a catalog whose stored attributes are known (tests.ui.apptest)."""

import io
import json

import pandas as pd
import pytest

from tests.ui.apptest import make_attribute_catalog, open_app


@pytest.fixture(scope="module")
def attr_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("attr-data")
    make_attribute_catalog(root)
    return root


@pytest.fixture
def app(attr_dir, monkeypatch):
    at = open_app(attr_dir, monkeypatch)
    at.radio(key="query_mode").set_value("Pick a catalog item").run()
    return at


def _grids(at) -> str:
    return "".join(m.value for m in at.markdown if "sk-grid" in m.value)


def test_cards_show_fact_tags_and_likely_tags_with_their_probability(app):
    app.selectbox(key="query_item").set_value(2).run()  # a stripes photo
    assert not app.exception, app.exception
    cards = _grids(app)
    assert '<span class="sk-tag">Stripe</span>' in cards
    assert '<span class="sk-tag sk-likely">likely pockets (80 %)</span>' in cards
    assert '<span class="sk-tag">Bag</span>' in cards  # the bags among the results


def test_attribute_filter_keeps_only_photos_with_every_chosen_fact(app, downloads):
    filters = app.multiselect(key="filter_attributes")
    assert filters.options == [
        "Stripe · pattern",
        "Solid · pattern",
        "Bag · type",
        "hood · details",
    ]
    filters.set_value(["pattern: Stripe"]).run()
    app.selectbox(key="query_item").set_value(0).run()
    assert not app.exception, app.exception
    button = next(b for b in app.get("download_button") if b.key == "download_csv")
    csv = pd.read_csv(io.BytesIO(downloads[button.proto.url]), dtype=str, keep_default_na=False)
    assert len(csv) == 3 and set(csv["title"].str.split().str[0]) == {"Stripes"}
    assert csv["tags"].str.startswith("Stripe").all()
    app.multiselect(key="filter_attributes").set_value(["pattern: Stripe", "type: Bag"]).run()
    assert any("No similar design passes the filters" in i.value for i in app.info)


def test_map_colours_points_by_an_attribute(app):
    app.session_state["tab"] = "Map"
    app.run()
    app.selectbox(key="map_color").set_value("attribute").run()
    assert app.selectbox(key="map_attribute").options == ["pattern", "type", "hood", "pockets"]
    (chart,) = app.get("plotly_chart")
    names = {t["name"]: len(t["x"]) if isinstance(t["x"], list) else None
             for t in json.loads(chart.proto.spec)["data"]}  # fmt: skip
    assert set(names) == {"Stripe", "Solid"}
    app.selectbox(key="map_attribute").set_value("hood").run()
    assert not app.exception, app.exception
    (chart,) = app.get("plotly_chart")
    assert {t["name"] for t in json.loads(chart.proto.spec)["data"]} == {"hood", "no hood tag"}


def test_trends_by_attribute_call_out_the_rising_hood_and_export_every_photo(app, downloads):
    app.session_state["tab"] = "Trends"
    app.run()
    app.selectbox(key="trends_freq").set_value("M").run()  # six monthly periods
    app.radio(key="trends_by").set_value("attribute").run()
    app.selectbox(key="trends_attribute").set_value("details").run()
    assert not app.exception, app.exception
    rising = [m.value for m in app.markdown if "Rising" in m.value]
    assert rising and "hood" in rising[0]
    table = next(d.value for d in app.dataframe if "change_points" in d.value.columns)
    assert set(table["Details"]) == {"hood", "pockets"}  # the column is named for the choice
    button = next(b for b in app.get("download_button") if b.key == "trends_download_attributes")
    every = pd.read_csv(io.BytesIO(downloads[button.proto.url]))
    assert len(every) == 12 and "p: hood" in every.columns
    app.selectbox(key="trends_attribute").set_value("pattern").run()
    table = next(d.value for d in app.dataframe if "change_points" in d.value.columns)
    assert set(table["Pattern"]) == {"Stripe", "Solid"}
