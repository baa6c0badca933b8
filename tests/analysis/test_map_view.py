import numpy as np
import pandas as pd
import pytest

from skill.analysis.map_view import COLOR_BY, date_values, map_figure, point_labels


def _items():
    return pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d"],
            "design_id": ["D1", "D1", "D2", ""],
            "category": ["top", "top", "", "bag"],
            "title": ["striped tee", "striped tee", "plain skirt", "tote bag"],
            "color": ["navy", "", "", ""],
            "color_name": ["blue", "red", "", "black"],
            "color_hex": ["#1f3a93", "#c0392b", "", "#111111"],
            "date": ["2024-01-01", "", "not a date", "2025-07-02"],
        }
    )


def test_point_labels_from_columns():
    items = _items()
    assert point_labels(items, "category").tolist() == ["top", "top", "(none)", "bag"]
    assert point_labels(items, "colour").tolist() == ["navy", "red", "(none)", "black"]
    with pytest.raises(ValueError):
        point_labels(items, "shape")


def test_design_clusters_keep_colour_variants_together():
    x = np.eye(4, dtype=np.float32)[[0, 0, 2, 3]]
    x[1] += 0.1  # the second colourway of D1 is close to the first
    labels = point_labels(_items(), "design cluster", x, n_clusters=3)
    assert labels[0] == labels[1]
    assert len(set(labels)) == 3
    assert all(label[0].isdigit() for label in labels)
    with pytest.raises(ValueError):
        point_labels(_items(), "design cluster")


def test_date_values():
    values = date_values(_items())
    assert values[0] == pytest.approx(2024.0)
    assert np.isnan(values[1]) and np.isnan(values[2])
    assert 2025.4 < values[3] < 2025.6


def _coords(n=4):
    return np.arange(2 * n, dtype=np.float32).reshape(n, 2)


def _covered(rows_of_trace, n):
    rows = np.concatenate([r for r in rows_of_trace if r is not None])
    return sorted(rows.tolist()) == list(range(n))  # each row once, none left out


@pytest.mark.parametrize("by", COLOR_BY)
def test_map_figure_puts_every_row_in_exactly_one_trace(by):
    items = _items()
    labels = ["1. tees", "1. tees", "2. skirts", "2. skirts"] if by == "design cluster" else None
    figure, rows_of_trace = map_figure(_coords(), items, by, labels=labels)
    assert len(figure.data) == len(rows_of_trace)
    assert _covered(rows_of_trace, len(items))
    for trace, rows in zip(figure.data, rows_of_trace, strict=True):
        assert trace.type == "scattergl"
        np.testing.assert_array_equal(trace.x, _coords()[rows, 0])  # point i is row rows[i]
        np.testing.assert_array_equal(trace.y, _coords()[rows, 1])


def test_map_figure_traces_per_colouring():
    items = _items()
    figure, rows = map_figure(_coords(), items, "category")
    assert [t.name for t in figure.data] == ["top", "(none)", "bag"]  # largest group first
    assert rows[0].tolist() == [0, 1]
    figure, rows = map_figure(_coords(), items, "colour")
    assert len(figure.data) == 1
    assert list(figure.data[0].marker.color) == ["#1f3a93", "#c0392b", "#999999", "#111111"]
    figure, rows = map_figure(_coords(), items, "date")
    assert [t.name for t in figure.data] == ["dated", "no date"]
    assert rows[0].tolist() == [0, 3] and rows[1].tolist() == [1, 2]
    assert list(figure.data[0].marker.color) == pytest.approx(date_values(items)[[0, 3]])


def test_map_figure_hover_names_title_category_and_colour():
    figure, rows = map_figure(_coords(), _items(), "category")
    texts = np.concatenate([trace.hovertext for trace in figure.data])
    hover = dict(zip(np.concatenate(rows).tolist(), texts, strict=True))
    assert hover[0] == "striped tee<br>top · navy"
    assert hover[1] == "striped tee<br>top · red"  # no CSV colour: the dominant colour
    assert hover[3] == "tote bag<br>bag · black"


def test_map_figure_draws_the_query_as_a_star_last():
    figure, rows = map_figure(_coords(), _items(), "colour", query_xy=np.array([[0.5, -0.5]]))
    star = figure.data[-1]
    assert star.name == "your query" and star.marker.symbol == "star"
    assert list(star.x) == [0.5] and list(star.y) == [-0.5]
    assert rows[-1] is None and len(rows) == len(figure.data) == 2
    assert _covered(rows, 4)
    figure, rows = map_figure(_coords(), _items(), "colour")
    assert [t.name for t in figure.data] == ["photos"] and rows[0] is not None


def test_map_figure_checks_its_arguments():
    with pytest.raises(ValueError, match="by must be one of"):
        map_figure(_coords(), _items(), "shape")
    with pytest.raises(ValueError, match="embeddings"):
        map_figure(_coords(), _items(), "design cluster")  # clusters need labels
    with pytest.raises(ValueError, match="3 labels for 4 items"):
        map_figure(_coords(), _items(), "category", labels=["a", "b", "c"])


def _many_categories(n_categories=39, seed=0):
    """A catalog of 39 categories of unequal sizes (as the issue's 300-photo catalog)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 20, n_categories)
    categories = np.repeat([f"type {i:02d}" for i in range(n_categories)], sizes)
    n = len(categories)
    items = pd.DataFrame(
        {
            "item_id": [str(i) for i in range(n)],
            "design_id": [str(i) for i in range(n)],
            "category": categories,
            "title": [f"product {i}" for i in range(n)],
            "color": ["navy"] * n,
            "color_name": ["blue"] * n,
            "color_hex": ["#1f3a93"] * n,
            "date": [""] * n,
        }
    )
    return items, rng.standard_normal((n, 2)).astype(np.float32)


def test_many_categories_get_distinct_colours_and_the_rest_one_grey_trace():
    from skill.analysis.map_view import GROUP_COLOURS, OTHER_COLOUR

    items, coords = _many_categories()
    figure, rows = map_figure(coords, items, "category")
    assert _covered(rows, len(items))
    colours = [trace.marker.color for trace in figure.data]
    assert len(colours) == len(set(colours)) == len(GROUP_COLOURS) + 1  # no colour twice
    other = colours.index(OTHER_COLOUR)
    assert figure.data[other].name == f"{39 - len(GROUP_COLOURS)} other categories"
    # The coloured ones are the largest categories.
    sizes = items["category"].value_counts()
    named = [t.name for i, t in enumerate(figure.data) if i != other]
    assert sizes[named].min() >= sizes.drop(named).max()
    # Every point's hover names its category, grey ones too.
    for trace, trace_rows in zip(figure.data, rows, strict=True):
        for text, row in zip(trace.hovertext, trace_rows, strict=True):
            assert f"<br>{items['category'].iat[row]} · " in text


def test_chosen_categories_get_the_colours():
    items, coords = _many_categories()
    figure, rows = map_figure(coords, items, "category", highlight=["type 07", "nope", "type 30"])
    names = [t.name for t in figure.data]
    assert "type 07" in names and "type 30" in names and len(names) == 3
    chosen = rows[names.index("type 30")]
    assert (items["category"].iloc[chosen] == "type 30").all()


def test_cluster_hover_names_the_cluster():
    figure, rows = map_figure(
        _coords(), _items(), "design cluster", labels=["1. tees", "1. tees", "2. <b>", "2. <b>"]
    )
    hover = dict(
        zip(
            np.concatenate(rows).tolist(),
            np.concatenate([t.hovertext for t in figure.data]),
            strict=True,
        )
    )
    assert hover[0] == "striped tee<br>top · navy<br>1. tees"
    assert hover[2].endswith("<br>2. &lt;b>")
