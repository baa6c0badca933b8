"""What the catalog map colours its points by: category, design cluster, colour or date.

The app draws ``Catalog.coords`` as a scatter; this module turns catalog columns (and
embeddings, for clusters) into one label or value per point. Design clusters come from
:mod:`skill.analysis.clusters` (seeded, so the same catalog always gets the same colours), labelled
with their readable names.

Example:
    >>> groups = point_labels(catalog.items, "design cluster", catalog.embeddings("skill-design"))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLOR_BY = ("category", "design cluster", "colour", "date")
"""What the map can colour points by."""


def point_labels(
    items: pd.DataFrame, by: str, embeddings: np.ndarray | None = None, n_clusters: int = 12
) -> pd.Series:
    """One text label per catalog row, for a discrete colouring.

    Args:
        items: The catalog's item table.
        by: ``category``, ``design cluster`` or ``colour`` (see :data:`COLOR_BY`).
        embeddings: Shape (n, dim); needed for ``design cluster``.
        n_clusters: Clusters for ``design cluster`` (at most one per design).

    Returns:
        Labels aligned with ``items``; missing values read ``(none)``.
    """
    if by == "category":
        labels = items["category"].astype(str)
    elif by == "colour":
        named = items["color"].astype(str)
        labels = named.where(named != "", items["color_name"].astype(str))
    elif by == "design cluster":
        if embeddings is None:
            raise ValueError("design cluster colouring needs the embeddings")
        from skill.analysis.clusters import ClusterConfig, cluster_designs
        from skill.catalog.designs import design_keys

        if len(items) < 2:
            return pd.Series(["1"] * len(items), dtype=str)
        k = min(n_clusters, len(np.unique(design_keys(items))))
        result = cluster_designs(embeddings, items, ClusterConfig(n_clusters=k))
        names = result.names
        labels = pd.Series(
            [f"{c + 1}. {names.get(c, '')}".rstrip(". ") for c in result.labels],
            index=items.index,
        )
    else:
        raise ValueError(f"by must be one of {COLOR_BY[:3]} for labels, got {by!r}")
    return labels.replace("", "(none)").reset_index(drop=True)


def date_values(items: pd.DataFrame) -> np.ndarray:
    """Each row's date as a fractional year (e.g. 2024.5), NaN where missing or unreadable."""
    dates = pd.to_datetime(items["date"].astype(str).replace("", None), errors="coerce")
    years = dates.dt.year + (dates.dt.dayofyear - 1) / 365.25
    return years.to_numpy(dtype=np.float64)
