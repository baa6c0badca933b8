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
    if rows is not None:
        items = items.iloc[list(rows)]
    empty = pd.Series("", index=items.index, dtype=object)
    named = items["color"].astype(str) if "color" in items else empty
    dominant = items["color_name"].astype(str) if "color_name" in items else empty
    return named.where(named != "", dominant)
