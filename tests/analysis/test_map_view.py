import numpy as np
import pandas as pd
import pytest

from skill.analysis.map_view import date_values, point_labels


def _items():
    return pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d"],
            "design_id": ["D1", "D1", "D2", ""],
            "category": ["top", "top", "", "bag"],
            "title": ["striped tee", "striped tee", "plain skirt", "tote bag"],
            "color": ["navy", "", "", ""],
            "color_name": ["blue", "red", "", "black"],
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
