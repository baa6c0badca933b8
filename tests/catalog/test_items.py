"""Tests of skill.catalog.items: the CSV colour first, the dominant colour where it is empty."""

import pandas as pd

from skill.catalog.items import colour_names


def test_csv_colour_wins_and_dominant_colour_fills_the_gaps():
    items = pd.DataFrame(
        {"color": ["navy", "", "", "red"], "color_name": ["blue", "grey", "", "orange"]},
        index=[10, 11, 12, 13],
    )
    colours = colour_names(items)
    assert colours.tolist() == ["navy", "grey", "", "red"]
    assert colours.index.tolist() == [10, 11, 12, 13]  # aligned with the table


def test_some_rows_only():
    items = pd.DataFrame({"color": ["navy", "", "green"], "color_name": ["blue", "grey", "x"]})
    assert colour_names(items, [2, 1]).tolist() == ["green", "grey"]
    assert colour_names(items, []).tolist() == []


def test_a_missing_column_counts_as_empty():
    assert colour_names(pd.DataFrame({"color_name": ["grey"]})).tolist() == ["grey"]
    assert colour_names(pd.DataFrame({"color": ["", "navy"]})).tolist() == ["", "navy"]
    assert colour_names(pd.DataFrame({"title": ["tee"]})).tolist() == [""]
