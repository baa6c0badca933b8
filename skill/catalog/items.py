"""The colour a catalog item is shown, filtered and scored under.

A catalog row has two colour columns: ``color``, the colour its label CSV names (may be empty),
and ``color_name``, the name of the photo's dominant colour computed at build time. Where the
CSV names a colour, that is the colour a person knows the product by; elsewhere the dominant
colour stands in.

Example:
    >>> colour_names(catalog.items).head(3).tolist()
    ['navy', 'red', 'light grey']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def colour_names(items: pd.DataFrame, rows: Sequence[int] | None = None) -> pd.Series:
    """Each row's colour: the CSV colour, else the dominant colour's name.

    Args:
        items: An item table with ``color`` and/or ``color_name`` (a missing column counts as
            empty).
        rows: Only these row positions (default: every row); a result card asks for one row
            without touching a million.

    Returns:
        Strings, ``""`` where neither column names a colour, indexed like ``items`` (or its
        ``rows``).
    """
    picked = slice(None) if rows is None else np.asarray(rows, dtype=np.int64)
    index = items.index[picked]

    def column(name: str) -> np.ndarray:
        if name not in items:
            return np.full(len(index), "", dtype=object)
        values = items[name].to_numpy()[picked]
        return values if values.dtype == object else values.astype(str).astype(object)

    named = column("color")
    return pd.Series(np.where(named != "", named, column("color_name")), index=index, dtype=object)
