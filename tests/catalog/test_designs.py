"""Tests of skill.catalog.designs: integer design codes and row slices equal string grouping."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from skill.catalog.designs import DesignTable, design_keys


def test_rows_without_a_design_are_their_own_design():
    items = pd.DataFrame({"design_id": ["a", "", "a", ""], "item_id": ["1", "2", "3", "4"]})
    assert design_keys(items).tolist() == ["a", "item:2", "a", "item:4"]
    table = DesignTable.from_items(items)
    assert len(table) == 3
    assert table.rows(table.code("a")).tolist() == [0, 2]
    assert table.name(table.codes[3]) == "item:4"
    assert table.code("missing") is None


@given(st.lists(st.sampled_from(["x", "y", "z", "w", "10", "1"]), min_size=1, max_size=60))
def test_rows_equal_string_comparison(keys):
    table = DesignTable(np.asarray(keys, dtype=object))
    keys = np.asarray(keys)
    for name in set(keys.tolist()):
        code = table.code(name)
        assert table.name(code) == name
        assert table.rows(code).tolist() == np.flatnonzero(keys == name).tolist()
        assert (table.codes[table.rows(code)] == code).all()
