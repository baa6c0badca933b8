"""Promises of the Search tab (ui/search.py), driven through AppTest on the tiny catalog."""

import io
import re

import numpy as np
import pandas as pd
from PIL import Image

from tests.ui.apptest import COLOURS, png_bytes

BLUE = (40, 40, 200)  # no catalog photo is blue: the tiny catalog has red, navy and green


def _blocks(at) -> list[str]:
    """The page's markdown in page order, without the style sheets."""
    return [m.value for m in at.markdown if not m.value.lstrip().startswith("<style>")]


def _result_grids(at) -> list[str]:
    """Card grids of the results, in page order (the query's grid left out)."""
    return [b for b in _blocks(at) if "sk-grid" in b and "Your query" not in b]


def test_an_uploaded_photo_finds_its_design_in_other_colours_before_similar_designs(app):
    assert BLUE not in COLOURS.values()
    app.file_uploader(key="upload").set_value(
        ("blue-circle.png", png_bytes("circle", BLUE), "image/png")
    )
    app.run()
    assert not app.exception, app.exception
    sections = [b for b in _blocks(app) if "sk-grid" in b or "Similar designs" in b]
    assert "Your query" in sections[0]
    same, similar = sections[1], sections[2]
    assert "This design in other colours · design <b>D-circle</b> · 3 photos" in same
    assert same.count('class="sk-card') == 3  # the circle in all three catalog colours
    assert all(f"circle-{colour}" in same for colour in COLOURS)
    assert "Similar designs" in similar and "sk-grid" not in similar
    assert "D-circle" not in "".join(sections[3:])  # the similar designs are the others
    assert len(sections[3:]) == 3


def test_results_csv_holds_exactly_the_results_shown(app, data_dir, downloads):
    from skill.catalog.store import open_catalog

    app.radio(key="query_mode").set_value("Pick a catalog item").run()
    app.selectbox(key="query_item").set_value(0).run()  # circle-red
    assert not app.exception, app.exception
    button = next(b for b in app.get("download_button") if b.key == "download_csv")
    csv = pd.read_csv(io.BytesIO(downloads[button.proto.url]), dtype=str, keep_default_na=False)
    assert list(csv.columns) == [
        "group", "design_id", "item_id", "score", "title", "category", "color",
        "color_name", "color_hex", "image_path",
    ]  # fmt: skip

    grids = _result_grids(app)
    shown_designs = [re.search(r"<b>(.+?)</b>", grid).group(1) for grid in grids]
    shown_items = [
        meta.rsplit(" · ", 1)[-1]
        for grid in grids
        for meta in re.findall(r'class="sk-meta">([^<]*)</div>', grid)
    ]
    shown_scores = re.findall(r'class="sk-score"[^>]*>([^<]*)</span>', "".join(grids))
    assert shown_designs[0] == "D-circle" and len(shown_designs) == 4
    assert csv["item_id"].tolist() == shown_items  # same photos, same order
    assert list(dict.fromkeys(csv["design_id"])) == shown_designs
    assert csv["group"].tolist() == ["same design"] * 2 + ["similar design"] * 9
    assert "circle-red" not in csv["item_id"].tolist()  # the query item itself is left out

    scores = csv["score"].astype(float)
    assert [f"{s:.2f}" for s in scores] == shown_scores
    for _, group in csv.assign(score=scores).groupby("design_id", sort=False):
        assert group["score"].is_monotonic_decreasing
    best = csv.assign(score=scores).groupby("design_id", sort=False)["score"].max()
    assert best.iloc[1:].is_monotonic_decreasing  # similar designs, best first

    catalog = open_catalog(data_dir / "catalogs" / "tiny")
    embeddings = np.asarray(catalog.embeddings("imagenet-lite0"))
    rows = catalog.items.reset_index().set_index("item_id").loc[csv["item_id"], "index"]
    expected = embeddings[rows.to_numpy()] @ embeddings[0]
    np.testing.assert_allclose(scores, expected, atol=1e-4)  # cosine to the query item
    columns = ["design_id", "title", "category", "color", "color_name", "color_hex", "image_path"]
    catalog_rows = catalog.items.iloc[rows.to_numpy()][columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(csv[columns], catalog_rows)


def test_a_second_upload_replaces_the_first_unless_several_photos_is_chosen(app):
    uploader = app.file_uploader(key="upload")
    uploader.set_value(("first.png", png_bytes("circle", BLUE), "image/png")).run()
    first = app.session_state["query_vectors"][2]
    app.file_uploader(key="upload").set_value(("second.png", png_bytes("square"), "image/png"))
    app.run()
    assert not app.exception, app.exception
    query = next(b for b in _blocks(app) if "Your query" in b)
    assert "second.png" in query and "first.png" not in query and query.count("sk-card") == 1
    vectors = app.session_state["query_vectors"][2]
    assert vectors.shape == (1, 1280) and not np.allclose(vectors, first)

    app.toggle(key="several_photos").set_value(True).run()
    app.file_uploader(key="upload_many").set_value(
        [
            ("front.png", png_bytes("circle", BLUE), "image/png"),
            ("back.png", png_bytes("circle", (200, 200, 40)), "image/png"),
        ]
    )
    app.run()
    assert not app.exception, app.exception
    query = next(b for b in _blocks(app) if "Your query" in b)
    assert "one product, 2 photos searched together" in query
    assert "front.png" in query and "back.png" in query and query.count("sk-card") == 2
    assert app.session_state["query_vectors"][2].shape == (2, 1280)


def test_a_photo_unlike_the_catalog_says_its_best_match_is_weak(app):
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    app.file_uploader(key="upload").set_value(("noise.png", buffer.getvalue(), "image/png"))
    app.run()
    assert not app.exception, app.exception
    text = " ".join(_blocks(app))
    assert "Nothing in this catalog looks much like this photo" in text
    assert len(app.expander) == 1 and "weak matches" in app.expander[0].label
    # A photo of a catalog design in a new colour is no weak match.
    app.file_uploader(key="upload").set_value(("c.png", png_bytes("circle", BLUE), "image/png"))
    app.run()
    assert "Nothing in this catalog" not in " ".join(_blocks(app)) and not app.expander
