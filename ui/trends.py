"""The Trends tab: design clusters to rename, their share of launches over time, few-shot labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from ui.cards import item_card, render_cards
from ui.context import Context
from ui.loaders import design_clusters

if TYPE_CHECKING:
    import numpy as np

    from skill.catalog.store import Catalog


def trends_tab(ctx: Context) -> None:
    """Design clusters, their share over time, and few-shot labelling."""
    if ctx.catalog is None:
        st.markdown('<div class="sk-empty">No catalog open yet.</div>', unsafe_allow_html=True)
        return
    from skill.analysis.clusters import cluster_members, name_clusters
    from skill.catalog.designs import design_keys

    catalog = ctx.catalog
    designs = len(set(design_keys(catalog.items)))
    if designs < 2:
        st.info("Clusters need at least two designs.")
        return
    top = st.columns([1, 1, 1.4, 2.6])
    n_clusters = top[0].number_input(
        "Clusters",
        min_value=2,
        max_value=min(60, designs),
        value=None,
        placeholder="auto",
        key="trends_clusters",
        help="Empty: about sqrt(designs / 2), within each category when clusters stay within "
        "categories. A number is shared among the categories by their number of designs; "
        "every category has one cluster at least, so a catalog of many categories has more.",
    )
    freq = top[1].selectbox(
        "Period", ["M", "Q", "Y"], index=1, key="trends_freq",
        format_func={"M": "month", "Q": "quarter", "Y": "year"}.get,
    )  # fmt: skip
    across = top[2].toggle(
        "Across categories",
        key="trends_across",
        help="Off: clusters within each category, never mixing two (the purest on the H&M "
        "photos). On: one clustering of the whole catalog, which can group a print across "
        "kinds, but also sandals with t-shirts.",
    )
    within = None if across else "category"
    result = design_clusters(
        str(catalog.path), catalog.version.name, ctx.encoder, n_clusters, within
    )
    where = "across categories" if across else "each within one category"
    more = (
        f" ({n_clusters} asked for; every category has one at least)"
        if n_clusters is not None and len(result.table) > n_clusters
        else ""
    )
    top[3].caption(
        f"{len(result.table)} clusters of {designs:,} designs{more}, {where}; a label's "
        "percentages say how much of its cluster each part is true of. A design's colour "
        "variants always share a cluster. Rename a cluster below."
    )
    # Names belong to one clustering: its count and whether it crosses categories. They are
    # kept apart from the widgets, which Streamlit forgets on pages of clusters not shown.
    prefix = f"trends_name_{n_clusters or 'auto'}{'x' if across else ''}"
    saved = st.session_state.setdefault("trends_names", {})
    names = {c: saved.get(f"{prefix}_{c}", "") for c in result.names}
    table = name_clusters(result.table, names)
    labels = dict(zip(table["cluster"], table["label"], strict=True))
    with st.expander(f"Clusters ({len(table)})", expanded=True):
        shown = cluster_page(table)
        for row in shown.itertuples():
            left, right = st.columns([1, 3])
            key = f"{prefix}_{row.cluster}"
            left.text_input(
                f"Cluster {row.cluster} · {row.size} photos · {row.n_designs} designs",
                value=saved.get(key, ""),
                placeholder=result.names[row.cluster],
                key=key,
                on_change=lambda key=key: saved.update({key: st.session_state[key]}),
            )
            left.caption(row.top_categories)
            cards = [item_card(catalog, r) for r in result.representatives[row.cluster]]
            right.markdown(render_cards(cards), unsafe_allow_html=True)
    members = cluster_members(catalog.items, result)
    members["cluster_label"] = members["cluster"].map(labels)
    st.download_button(
        "Clusters CSV", members.to_csv(index=False), "clusters.csv", "text/csv",
        key="trends_download_clusters",
    )  # fmt: skip
    trend_ui(catalog, result.labels, labels, freq)
    fewshot_ui(ctx)


CLUSTERS_PER_PAGE = 12
"""Clusters drawn at once, with their photos: 299 clusters of a 9,388-photo catalog took a
page of 1,196 thumbnails."""


def cluster_page(table):
    """The rows of ``table`` on the page of clusters chosen (all when they fit on one)."""
    pages = -(-len(table) // CLUSTERS_PER_PAGE)
    if pages <= 1:
        return table
    page = st.selectbox(
        "Clusters shown",
        range(pages),
        key="trends_cluster_page",
        format_func=lambda p: (
            f"{p * CLUSTERS_PER_PAGE}-"
            f"{min((p + 1) * CLUSTERS_PER_PAGE, len(table)) - 1} of {len(table)}"
        ),
    )
    return table.iloc[page * CLUSTERS_PER_PAGE : (page + 1) * CLUSTERS_PER_PAGE]


TREND_COLUMNS = {
    "name": st.column_config.TextColumn(),
    "launches": st.column_config.NumberColumn("Launches", help="Designs launched, all periods"),
    "mean_share": st.column_config.NumberColumn(
        "Mean share", format="%.1f%%", help="Share of launches, over all periods"
    ),
    "first_share": st.column_config.NumberColumn(
        "First", format="%.1f%%", help="Fitted share at the first period"
    ),
    "last_share": st.column_config.NumberColumn(
        "Last", format="%.1f%%", help="Fitted share at the last period"
    ),
    "change_points": st.column_config.NumberColumn(
        "Change", format="%+.1f pts", help="Fitted change, first to last period"
    ),
    "p_value": st.column_config.NumberColumn(
        "p-value", format="%.3f", help="Is the slope distinguishable from flat? (t-test)"
    ),
    "consistency": st.column_config.NumberColumn(
        "Consistency", format="%+.2f", help="Kendall's tau of share against time, -1 to 1"
    ),
    "direction": st.column_config.TextColumn("Trend"),
}
"""The trend table's columns as shown, shares in percent (the CSV keeps every column under its
own name, shares as fractions)."""


def trend_ui(catalog: Catalog, cluster_labels: np.ndarray, names: dict, freq: str) -> None:
    """Share of launches per cluster or category over time, the rising and falling called out."""
    from skill.analysis.trends import (
        category_share_over_time,
        cluster_share_over_time,
        find_trends,
        trend_figure,
    )

    st.markdown('<div class="sk-section">Trends over time</div>', unsafe_allow_html=True)
    by = st.radio("Share of launches by", ["cluster", "category"], horizontal=True, key="trends_by")
    if by == "cluster":
        shares = cluster_share_over_time(catalog.items, cluster_labels, freq)
    else:
        shares, names = category_share_over_time(catalog.items, freq), None
    if shares.counts.empty:
        st.info("This catalog has no readable dates; index it with a date column to see trends.")
        return
    trends = find_trends(shares)
    trends.insert(1, "name", trends["group"].map(names) if names else trends["group"])
    if shares.bad_dates or shares.missing_dates:
        st.caption(
            f"Left out: {shares.bad_dates} unreadable and {shares.missing_dates} missing dates."
        )
    # Coloured words, no emoji: the chart glyphs did not render in every browser font.
    for direction, colour in (("rising", "green"), ("falling", "red")):
        moved = trends[trends["direction"] == direction]
        if len(moved):
            st.markdown(
                f":{colour}[**{direction.title()}:**] "
                + ", ".join(f"{r.name} ({r.change_points:+.1f} pts)" for r in moved.itertuples())
            )
    if (trends["direction"] == "flat").all():
        st.caption("No cluster or category share moved significantly.")
    st.plotly_chart(trend_figure(shares, trends, names=names), key=f"trends_chart_{by}")
    shown = trends[list(TREND_COLUMNS)].rename(columns={"name": by.title()})
    shares = ["mean_share", "first_share", "last_share"]
    shown[shares] = 100 * shown[shares]
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={by.title() if k == "name" else k: v for k, v in TREND_COLUMNS.items()},
        key=f"trends_table_{by}",
    )
    st.download_button(
        "Trend table CSV", trends.to_csv(index=False), f"trends_by_{by}.csv", "text/csv",
        key="trends_download_trends",
    )  # fmt: skip


def fewshot_ui(ctx: Context) -> None:
    """Tag a few photos per label; the rest of the catalog takes the closest label."""
    from skill.analysis.fewshot import label_by_knn, label_by_prototypes

    catalog = ctx.catalog
    items = catalog.items
    st.markdown('<div class="sk-section">Few-shot labelling</div>', unsafe_allow_html=True)
    st.caption(
        "Tag a few photos per label; every other photo takes the label of the closest tagged "
        "ones, with a confidence."
    )
    text = st.text_input("Labels (comma-separated)", key="fewshot_labels")
    wanted = list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    if not wanted:
        return
    titles = (items["item_id"] + " · " + items["title"].str.slice(0, 40)).tolist()
    seeds = {}
    for i, label in enumerate(wanted):
        chosen = st.multiselect(
            f"Photos of “{label}”", range(len(items)), format_func=titles.__getitem__,
            key=f"fewshot_items_{i}",
        )  # fmt: skip
        seeds.update({int(row): label for row in chosen})
    method = st.radio("Method", ["prototypes", "k-NN"], horizontal=True, key="fewshot_method")
    if st.button("Label the catalog", key="fewshot_run", disabled=not seeds):
        embeddings = catalog.embeddings(ctx.encoder)
        labelled = (
            label_by_prototypes(embeddings, seeds)
            if method == "prototypes"
            else label_by_knn(embeddings, seeds)
        )
        table = items[["item_id", "title", "category"]].reset_index(drop=True)
        st.session_state["fewshot_result"] = table.join(labelled.reset_index(drop=True))
    result = st.session_state.get("fewshot_result")
    if result is not None:
        st.dataframe(
            result.sort_values("confidence", ascending=False), hide_index=True,
            key="fewshot_table",
        )  # fmt: skip
        st.download_button(
            "Labels CSV", result.to_csv(index=False), "labels.csv", "text/csv",
            key="fewshot_download",
        )  # fmt: skip
