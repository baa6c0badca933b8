"""Promises of the Search tab (ui/search.py), driven through AppTest on the tiny catalog."""

import io
import re

import numpy as np
import pandas as pd

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
