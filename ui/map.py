"""The Map tab: the catalog's stored 2-D map, coloured, with the last query as a star.

The map is read from the catalog (fitted when it was built, never on a page load); a box or
lasso selection shows the selected photos as cards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from ui.cards import item_card, render_cards
from ui.context import Context
from ui.loaders import map_labels

if TYPE_CHECKING:
    import numpy as np

    from skill.catalog.store import Catalog

MAP_SELECTION_CARDS = 60
"""Cards shown for a selection at most; the heading counts every selected photo."""


def map_tab(ctx: Context) -> None:
    if ctx.catalog is None:
        st.markdown('<div class="sk-empty">No catalog open yet.</div>', unsafe_allow_html=True)
        return
    from skill.analysis.map_view import COLOR_BY, map_figure

    catalog = ctx.catalog
    top = st.columns([2, 3])
    by = top[0].selectbox("Colour points by", COLOR_BY, key="map_color")
    top[1].caption(
        "Each dot is a photo; nearby dots look alike to the chosen encoder. Drag a box or "
        "lasso to see the photos; your last query shows as a star."
    )
    labels, highlight = None, []
    if by in ("category", "design cluster"):
        labels = map_labels(str(catalog.path), catalog.version.name, ctx.encoder, by)
        highlight = highlight_ui(labels, by)
    figure, rows_of_trace = map_figure(
        catalog.coords(ctx.encoder),
        catalog.items,
        by,
        labels,
        query_xy=query_on_map(ctx),
        highlight=highlight,
    )
    event = st.plotly_chart(
        figure,
        on_select="rerun",
        selection_mode=("box", "lasso"),
        key="map_chart",
        config={"displaylogo": False, "scrollZoom": True},
    )
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    rows = []
    for point in points:
        trace = rows_of_trace[point.get("curve_number", 0)]
        index = point.get("point_index", point.get("point_number"))
        if trace is not None and index is not None and index < len(trace):
            rows.append(int(trace[index]))
    if rows:
        selection_ui(catalog, rows)


def highlight_ui(labels: list[str], by: str) -> list[str]:
    """A searchable list of the groups, largest first: the chosen ones get the colours."""
    from collections import Counter

    from skill.analysis.map_view import GROUP_COLOURS

    sizes = Counter(labels)
    if len(sizes) <= len(GROUP_COLOURS):
        return []  # every group has a colour of its own
    plural = "categories" if by == "category" else "clusters"
    return st.multiselect(
        f"Colour these {plural} (type to search)",
        [name for name, _ in sizes.most_common()],
        key=f"map_highlight_{by.replace(' ', '_')}",
        max_selections=len(GROUP_COLOURS),
        format_func=lambda name: f"{name} ({sizes[name]:,})",
        placeholder=f"The {len(GROUP_COLOURS)} largest of {len(sizes)}; the rest in grey",
    )


def query_on_map(ctx: Context) -> np.ndarray | None:
    """Where the last search's query sits on this map, shape (m, 2); ``None`` without one."""
    query = st.session_state.get("query_vectors")
    if not (query and query[0] == str(ctx.catalog.path) and query[1] == ctx.encoder):
        return None
    from skill.catalog.projection import place_on_map

    catalog = ctx.catalog
    return place_on_map(
        query[2],
        catalog.embeddings(ctx.encoder),
        catalog.coords(ctx.encoder),
        index=catalog.index(ctx.encoder),
    )


def selection_ui(catalog: Catalog, rows: list[int]) -> None:
    shown = rows[:MAP_SELECTION_CARDS]
    heading = f"**{len(rows):,}** selected photos" + (
        f" · first {len(shown)} shown" if len(rows) > len(shown) else ""
    )
    st.markdown(
        render_cards([item_card(catalog, r) for r in shown], heading=heading),
        unsafe_allow_html=True,
    )
