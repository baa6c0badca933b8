"""Drives every tab of app.py with streamlit's AppTest on a tiny catalog built in tmp_path."""

import base64
import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from tests.ui.apptest import APP, png_bytes


def _html(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _open_tab(at, name):
    at.session_state["tab"] = name
    at.run()
    assert not at.exception, at.exception


def test_first_page_opens_tiny_catalog_with_search_tab(app):
    assert [t.label for t in app.tabs] == ["Search", "Map", "Trends", "Catalogs", "Models"]
    assert app.selectbox(key="catalog").value == "tiny"
    assert app.radio(key="encoder").value == "imagenet-lite0"
    assert "Upload a product photo" in _html(app)
    with pytest.raises(KeyError):
        app.button(key="build_demo")  # a catalog exists: no first-run panel on the page


def test_first_page_imports_no_torch(data_dir):
    """A fresh process: the first page (sidebar, Search tab) must not pay torch's import."""
    from skill.paths import PROJECT_DIR

    code = textwrap.dedent(f"""
        import sys
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({APP!r}, default_timeout=120)
        at.run()
        assert not at.exception, at.exception
        print(at.selectbox(key="catalog").value, at.radio(key="encoder").value)
        print("torch" in sys.modules)
    """)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True,
        env={**os.environ, "SKILL_DATA_DIR": str(data_dir)}, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-3:] == ["tiny", "imagenet-lite0", "False"]


def test_upload_search_shows_cards_and_csv(app):
    app.file_uploader(key="upload").set_value(("query.png", png_bytes("circle"), "image/png"))
    app.run()
    assert not app.exception, app.exception
    html = _html(app)
    assert html.count('class="sk-card') >= 5  # query + results
    assert "Similar designs" in html or "other colours" in html
    assert "data:image/jpeg;base64," in html
    csv = app.get("download_button")[0]
    assert csv is not None
    assert app.session_state["query_vectors"][2].shape == (1, 1280)


def test_bad_uploads_warn_and_good_one_still_searches(app):
    truncated = png_bytes("square")[:200]
    app.toggle(key="several_photos").set_value(True).run()
    app.file_uploader(key="upload_many").set_value(
        [
            ("notes.jpg", b"this is not an image", "image/jpeg"),
            ("cut.png", truncated, "image/png"),
            ("ok.png", png_bytes("square"), "image/png"),
        ]
    )
    app.run()
    assert not app.exception, app.exception
    warnings = " ".join(w.value for w in app.warning)
    assert "notes.jpg" in warnings and "cut.png" in warnings
    assert "ok.png" not in warnings
    assert 'class="sk-card sk-query"' in _html(app)


def test_catalog_item_query_puts_its_design_first_and_filters(app):
    app.radio(key="query_mode").set_value("Pick a catalog item")
    app.run()
    items = app.selectbox(key="query_item")
    items.set_value(0)  # circle-red
    app.run()
    html = _html(app)
    assert "This design in other colours" in html and "D-circle" in html
    app.multiselect(key="filter_category").set_value(["bags"])
    app.slider(key="top_k").set_value(1)
    app.run()
    assert not app.exception, app.exception
    grids = [
        m.value
        for m in app.markdown
        if "sk-grid" in m.value
        and "Your query" not in m.value
        and not m.value.lstrip().startswith("<style>")
    ]
    # The query's own design shows every colour whatever the filters; top-k 1 similar design,
    # a bag.
    assert len(grids) == 2
    assert "This design in other colours" in grids[0] and grids[0].count("sk-card") == 2
    assert "bags ·" in grids[1] and "tops ·" not in grids[1]
    app.slider(key="min_score").set_value(1.0)
    app.run()
    assert any("No similar design passes" in i.value for i in app.info)


def test_map_tab_colourings(app):
    _open_tab(app, "Map")
    for by in ("category", "design cluster", "colour", "date"):
        app.selectbox(key="map_color").set_value(by)
        app.run()
        assert not app.exception, (by, app.exception)
    assert len(app.get("plotly_chart")) == 1


def test_catalogs_tab_lists_and_builds_from_zip(app, data_dir):
    _open_tab(app, "Catalogs")
    assert app.button(key="build_demo_tab")  # the demo is missing: offered here
    table = app.dataframe[0].value
    assert table["catalog"].tolist() == ["tiny"] and table["photos"].tolist() == [12]
    # The build form starts on the best measured encoder, as `python -m skill index` does.
    from skill.encoders.registry import default_encoder

    assert app.multiselect(key="build_encoders").value == [default_encoder()[0]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.png", png_bytes("circle"))
        archive.writestr("b.png", png_bytes("stripes", (10, 200, 10)))
        archive.writestr("broken.jpg", b"garbage")
        archive.writestr("../evil.png", png_bytes())
    app.text_input(key="build_name").set_value("zipped")
    app.radio(key="build_source").set_value("A zip upload")
    app.run()
    app.file_uploader(key="build_zip").set_value(("shop.zip", buffer.getvalue(), "application/zip"))
    app.radio(key="build_map").set_value("PCA (instant)")
    app.multiselect(key="build_encoders").set_value(["imagenet-lite0"])
    app.run()
    app.button(key="build_button").click()
    app.run()
    assert not app.exception, app.exception
    assert any("zipped" in s.value for s in app.success)
    skipped = app.dataframe[-1].value
    assert set(skipped["image_path"]) >= {"broken.jpg", "../evil.png"}
    assert (data_dir / "catalogs" / "zipped" / "CURRENT").is_file()
    assert app.selectbox(key="catalog").value == "zipped"  # the app switched to it


def test_catalogs_tab_refuses_bad_input(app):
    _open_tab(app, "Catalogs")
    app.text_input(key="build_name").set_value("../bad")
    app.text_input(key="build_folder").set_value("/nonexistent/folder")
    app.button(key="build_button").click()
    app.run()
    assert any("catalog name" in w.value for w in app.warning)
    app.text_input(key="build_name").set_value("fine")
    app.button(key="build_button").click()
    app.run()
    assert any("No folder" in w.value for w in app.warning)
    app.radio(key="build_source").set_value("A zip upload")
    app.run()
    app.file_uploader(key="build_zip").set_value(("x.zip", b"not a zip", "application/zip"))
    app.button(key="build_button").click()
    app.run()
    assert any("not a readable zip" in w.value for w in app.warning)
    assert not app.exception


def test_models_tab_cards_and_catalog_figures(app):
    _open_tab(app, "Models")
    text = _html(app)
    assert "ImageNet baseline" in text
    assert "Colour-variant retrieval on this catalog" in text
    # One chart of the shipped encoders' own figures (if any ship), one of this catalog's,
    # each titled for what it measures.
    charts = [c for c in app.get("plotly_chart") if c.key == "figures_catalog"]
    assert len(charts) == 1
    assert json.loads(charts[0].proto.spec)["layout"]["title"]["text"] == "This catalog (tiny)"
    recorded = [c for c in app.get("plotly_chart") if c.key == "figures_recorded"]
    from skill.encoders.registry import list_encoders

    if any(info.config.get("metrics") for info in list_encoders()):
        title = json.loads(recorded[0].proto.spec)["layout"]["title"]["text"]
        assert title == "Own evaluation (H&M validation)"
        assert "not this catalog" in " ".join(c.value for c in app.caption)
    from skill.catalog.store import open_catalog
    from skill.evaluation.metrics import colour_variant_retrieval

    catalog = open_catalog(app.session_state["catalog"] and _catalog_dir(app))
    expected = colour_variant_retrieval(
        catalog.embeddings("imagenet-lite0"), catalog.items["design_id"], catalog.items["color"]
    )
    assert 0.0 <= expected["hit@1"] <= 1.0
    trace = json.loads(charts[0].proto.spec)["data"][0]
    assert list(trace["x"]) == ["hit@1", "hit@5", "hit@10", "mAP"]
    y = trace["y"]
    if isinstance(y, dict):  # plotly >= 6 ships arrays as base64
        y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
    assert y[0] == pytest.approx(expected["hit@1"])
    assert y[3] == pytest.approx(expected["mAP"])


def _catalog_dir(app):
    from skill.catalog.registry import catalog_path

    return catalog_path(app.session_state["catalog"])


def test_no_catalog_shows_first_run_panel(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SKILL_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert any("build the demo catalog" in m.value.lower() for m in at.markdown)
    assert at.button(key="build_demo")
    assert "No catalog open yet" in _html(at)
    assert len(at.tabs) >= 4
