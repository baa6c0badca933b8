"""The catalog map as a figure: its points coloured by category, design cluster, colour or date.

The app draws ``Catalog.coords`` as a scatter; this module turns catalog columns (and
embeddings, for clusters) into one label or value per point, and draws the figure. Design
clusters come from :mod:`skill.analysis.clusters` (seeded, so the same catalog always gets the
same colours), labelled with their readable names.

Example:
    >>> groups = point_labels(catalog.items, "design cluster", catalog.embeddings("skill-design"))
    >>> figure, rows_of_trace = map_figure(catalog.coords("skill-design"), catalog.items,
    ...                                    "design cluster", labels=groups)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from skill.catalog.items import colour_names

if TYPE_CHECKING:  # plotly loads when a map is drawn, not when skill is imported
    import plotly.graph_objects as go

COLOR_BY = ("category", "design cluster", "colour", "date", "attribute")
"""What the map can colour points by (``attribute``: one of a catalog's attribute choices, see
:meth:`skill.catalog.attribute_table.CatalogAttributes.values`)."""


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
        labels = colour_names(items)
    elif by == "design cluster":
        if embeddings is None:
            raise ValueError("design cluster colouring needs the embeddings")
        from skill.analysis.clusters import ClusterConfig, cluster_designs
        from skill.catalog.designs import design_keys

        if len(items) < 2:
            return pd.Series(["1"] * len(items), dtype=str)
        k = min(n_clusters, len(np.unique(design_keys(items))))
        # Across categories: within them, 12 clusters of a 10-category catalog are its categories.
        result = cluster_designs(embeddings, items, ClusterConfig(n_clusters=k, within=None))
        names = result.names
        labels = pd.Series(
            [f"{c + 1}. {names.get(c, '')}".rstrip(". ") for c in result.labels],
            index=items.index,
        )
    elif by == "attribute":
        raise ValueError("attribute colouring needs labels: CatalogAttributes.values(choice)")
    else:
        raise ValueError(f"by must be one of {COLOR_BY[:3]} for labels, got {by!r}")
    return labels.replace("", "(none)").reset_index(drop=True)


def date_values(items: pd.DataFrame) -> np.ndarray:
    """Each row's date as a fractional year (e.g. 2024.5), NaN where missing or unreadable."""
    dates = pd.to_datetime(items["date"].astype(str).replace("", None), errors="coerce")
    years = dates.dt.year + (dates.dt.dayofyear - 1) / 365.25
    return years.to_numpy(dtype=np.float64)


GROUP_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#222222", "#f0b400", "#98df8a",
)  # fmt: skip
"""Distinct colours of the largest (or chosen) groups; one colour never names two groups."""
OTHER_COLOUR = "#c8ccd4"
"""The rest of the groups, drawn as one trace under the coloured ones."""
MISSING_COLOUR = "#999999"
"""Points whose photo has no dominant colour (``by="colour"``)."""
UNDATED_COLOUR = "#c8ccd4"
"""Points without a readable date (``by="date"``)."""


def coloured_groups(
    labels: Sequence[str], highlight: Sequence[str] = (), limit: int = len(GROUP_COLOURS)
) -> list[str]:
    """The groups that get a colour of their own: ``highlight`` if given, else the largest.

    A catalog with 39 categories on a 10-colour palette drew two categories in one blue; at
    most ``limit`` groups are coloured, each differently, and the rest share one grey trace.

    Args:
        labels: One label per point.
        highlight: Groups chosen by the user, in order (unknown ones are ignored).
        limit: Most groups coloured; at most ``len(GROUP_COLOURS)``.

    Returns:
        Group names, largest first (or in ``highlight``'s order).
    """
    limit = min(limit, len(GROUP_COLOURS))
    names, counts = np.unique(np.asarray(labels, dtype=str), return_counts=True)
    known = set(names.tolist())
    chosen = [name for name in dict.fromkeys(highlight) if name in known]
    if chosen:
        return chosen[:limit]
    return names[np.argsort(-counts, kind="stable")][:limit].tolist()


def map_figure(
    coords: np.ndarray,
    items: pd.DataFrame,
    by: str,
    labels: Sequence[str] | None = None,
    query_xy: np.ndarray | None = None,
    highlight: Sequence[str] = (),
) -> tuple[go.Figure, list[np.ndarray | None]]:
    """The map as a WebGL scatter, and which catalog row each point of each trace is.

    A selection on the figure names points by (trace, point index); ``rows_of_trace`` turns
    them back into catalog rows.

    Args:
        coords: Shape (n, 2), the catalog map, row-aligned with ``items``.
        items: The catalog's item table.
        by: One of :data:`COLOR_BY`. ``colour`` paints each point its dominant colour and
            ``date`` its year on a colour scale (undated points in a grey trace of their own);
            the others draw one trace per coloured group (:func:`coloured_groups`), largest
            first, and one grey trace of every other group; a point's hover names its group.
        labels: One label per row for ``category``, ``design cluster`` (see
            :func:`point_labels`) or ``attribute`` (the catalog's attribute values); computed
            from ``items`` when ``None`` (clusters and attributes need them).
        query_xy: Shape (m, 2): the query placed on the map, drawn as a star.
        highlight: Groups to colour instead of the largest (``category``, ``design cluster``).

    Returns:
        The plotly figure, and per trace the catalog rows of its points (``None`` for the
        query star, which is no catalog row). Every row is in exactly one trace.
    """
    import plotly.graph_objects as go

    if by not in COLOR_BY:
        raise ValueError(f"by must be one of {COLOR_BY}, got {by!r}")
    coords = np.asarray(coords)
    hover = (
        items["title"].astype(str).str.slice(0, 40)
        + "<br>"
        + items["category"].astype(str)
        + " · "
        + colour_names(items)
    ).to_numpy()
    figure = go.Figure()
    rows_of_trace: list[np.ndarray | None] = []
    marker = dict(size=6, opacity=0.8, line=dict(width=0))

    def add_points(rows: np.ndarray, name: str, **style) -> None:
        figure.add_trace(
            go.Scattergl(
                x=coords[rows, 0], y=coords[rows, 1], mode="markers", name=name,
                hovertext=hover[rows], hoverinfo="text", **style,
            )
        )  # fmt: skip
        rows_of_trace.append(rows)

    every = np.arange(len(items))
    if by == "colour":
        hexes = items["color_hex"].astype(str).replace("", MISSING_COLOUR).tolist()
        edge = dict(width=0.5, color="rgba(0,0,0,.25)")
        add_points(
            every, "photos", showlegend=False, marker={**marker, "color": hexes, "line": edge}
        )
    elif by == "date":
        years = date_values(items)
        known, missing = np.flatnonzero(~np.isnan(years)), np.flatnonzero(np.isnan(years))
        scale = dict(colorscale="Viridis", colorbar=dict(title="year", thickness=12))
        add_points(
            known, "dated", showlegend=False, marker={**marker, "color": years[known], **scale}
        )
        if len(missing):
            add_points(missing, "no date", marker={**marker, "color": UNDATED_COLOUR})
    else:
        labels = np.asarray(point_labels(items, by) if labels is None else labels, dtype=str)
        if len(labels) != len(items):
            raise ValueError(f"{len(labels)} labels for {len(items)} items")
        if by != "category":  # the hover names the category already
            hover = hover + "<br>" + np.char.replace(labels, "<", "&lt;").astype(object)
        # An attribute's "not sure" and "no ... tag" points stay grey: they are no value.
        unsure = _unsure(labels) if by == "attribute" else np.zeros(len(labels), bool)
        coloured = coloured_groups(labels[~unsure], highlight)
        rest = np.flatnonzero(~np.isin(labels, coloured))
        if len(rest):
            names = np.unique(labels[rest])
            plural = "categories" if by == "category" else "clusters"
            name = f"{len(names)} other {plural if len(names) > 1 else by}"
            if by == "attribute":
                name = names[0] if len(names) == 1 else f"{len(names)} other values"
            add_points(
                rest, name, legendrank=2000,
                marker={**marker, "color": OTHER_COLOUR, "opacity": 0.6},
            )  # fmt: skip
        for name, colour in zip(coloured, GROUP_COLOURS, strict=False):
            add_points(
                np.flatnonzero(labels == name), str(name)[:32], marker={**marker, "color": colour}
            )
    if query_xy is not None:
        xy = np.atleast_2d(query_xy)
        figure.add_trace(
            go.Scatter(
                x=xy[:, 0], y=xy[:, 1], mode="markers", name="your query",
                marker=dict(symbol="star", size=22, color="#f04438",
                            line=dict(width=1.5, color="#ffffff")),
                hoverinfo="name",
            )
        )  # fmt: skip
        rows_of_trace.append(None)
    figure.update_layout(
        height=620,
        margin=dict(l=0, r=0, t=36, b=0),
        dragmode="lasso",
        plot_bgcolor="#fbfbfd",
        # Below the plot: a long legend above it ran under plotly's toolbar at the top right.
        legend=dict(
            itemsizing="constant",
            font=dict(size=11),
            orientation="h",
            x=0,
            xanchor="left",
            y=0,
            yanchor="top",
        ),
        xaxis=dict(visible=False),
        yaxis=dict(visible=False, scaleanchor="x"),
        hoverlabel=dict(bgcolor="white"),
    )
    return figure, rows_of_trace


def _unsure(labels: np.ndarray) -> np.ndarray:
    """Which attribute texts (:meth:`CatalogAttributes.values`) name no value: ``not sure``
    and ``no <detail> tag``."""
    text = np.asarray(labels, dtype=str)
    return (text == "not sure") | (np.char.startswith(text, "no ") & np.char.endswith(text, " tag"))
