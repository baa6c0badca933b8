"""The Search tab: a query (uploaded photos or a catalog item), filters, and grouped results.

Results come as this design in other colours first, then similar designs, each a grid of
cards, and as a CSV of exactly the photos shown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from ui.cards import Card, item_card, render_cards
from ui.context import Context
from ui.loaders import embed_photos, upload_thumbnail

if TYPE_CHECKING:
    import numpy as np

    from skill.catalog.store import Catalog
    from skill.search import SearchConfig, SearchResult

UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp"]
RESULT_COLUMNS = ["group", "design_id", "item_id", "score", "same_design_probability"]
RESULT_COLUMNS += ["title", "category", "color"]
RESULT_COLUMNS += ["color_name", "color_hex", "image_path"]
"""Columns of the results CSV (those the catalog has), in this order."""


@dataclass(frozen=True)
class Query:
    """What is searched for.

    Attributes:
        vectors: Shape (m, dim): the query photos' embeddings.
        cards: The query's cards.
        design: The query's own design id (a catalog item), or ``None`` (uploads).
        exclude: Catalog rows left out of the results (the query item itself).
    """

    vectors: np.ndarray
    cards: list[Card]
    design: str | None = None
    exclude: tuple[int, ...] = ()


def search_tab(ctx: Context) -> None:
    if ctx.catalog is None:
        st.markdown('<div class="sk-empty">No catalog open yet.</div>', unsafe_allow_html=True)
        return
    catalog = ctx.catalog
    left, right = st.columns([3, 2], gap="large")
    with left:
        mode = st.radio(
            "Query",
            ["Upload photos", "Pick a catalog item"],
            key="query_mode",
            horizontal=True,
            label_visibility="collapsed",
        )
        query = upload_query(ctx, uploads_ui()) if mode == "Upload photos" else item_query(ctx)
    with right:
        config = filters_ui(catalog)
    if query is None:
        st.markdown(
            '<div class="sk-empty">Upload a product photo or pick a catalog item to see the '
            "same design in other colours, then similar designs.</div>",
            unsafe_allow_html=True,
        )
        return
    st.session_state["query_vectors"] = (str(catalog.path), ctx.encoder, query.vectors)
    from skill.search import search_catalog

    start = time.perf_counter()
    result = search_catalog(
        catalog, ctx.encoder, query.vectors, config, query.design, query.exclude
    )
    elapsed = time.perf_counter() - start
    st.markdown(render_cards(query.cards, heading=query_heading(query)), unsafe_allow_html=True)
    results_ui(catalog, result)
    if not result.similar:
        st.info("No similar design passes the filters. Lower the minimum score or clear filters.")
    if result.hits.empty:
        return
    st.download_button(
        "Download results (CSV)",
        result.hits[[c for c in RESULT_COLUMNS if c in result.hits]].to_csv(index=False),
        file_name="skill-results.csv",
        mime="text/csv",
        key="download_csv",
    )
    st.caption(f"Searched {len(catalog.items):,} photos in {elapsed * 1000:.0f} ms.")


def uploads_ui() -> list:
    """One photo, which a new upload replaces; or, by choice, several photos of one product.

    Several photos used to be the only mode, so a second upload silently joined the first and
    the query became a blend of two products.
    """
    several = st.toggle(
        "Several photos of one product",
        key="several_photos",
        help="Front, back, detail… of one product, searched together as one query. Off: each "
        "upload replaces the last.",
    )
    if several:
        uploads = st.file_uploader(
            "Photos of one product (searched together as one query)",
            type=UPLOAD_TYPES,
            accept_multiple_files=True,
            key="upload_many",
        )
        return list(uploads or [])
    upload = st.file_uploader("Product photo", type=UPLOAD_TYPES, key="upload")
    return [upload] if upload is not None else []


def query_heading(query: Query) -> str:
    """The heading over the query's cards: several photos say they are one query."""
    if len(query.cards) > 1:
        return f"Your query · one product, {len(query.cards)} photos searched together"
    return "Your query"


def upload_query(ctx: Context, uploads: list) -> Query | None:
    """The uploaded photos as a query; a photo that cannot be read is named in a warning."""
    if not uploads:
        return None
    entry = ctx.catalog.manifest["encoders"][ctx.encoder]
    photos = tuple(upload.getvalue() for upload in uploads)
    with st.spinner("Reading your photos…"):
        embeddings, positions, failures = embed_photos(ctx.encoder, entry.get("source", ""), photos)
    for position, reason in failures:
        st.warning(f"**{uploads[position].name}** was not used: {reason}")
    if len(positions) == 0:
        return None
    cards = [
        Card(thumbnail=upload_thumbnail(photos[i]), title=uploads[i].name, highlight=True)
        for i in positions
    ]
    return Query(embeddings, cards)


def item_query(ctx: Context) -> Query | None:
    """A catalog item as the query: its design comes first, the item itself is left out."""
    items = ctx.catalog.items
    row = st.selectbox(
        "Catalog item",
        range(len(items)),
        key="query_item",
        index=None,
        placeholder="Choose an item (type to filter by title or id)",
        format_func=lambda r: " · ".join(
            v for v in (items["title"].iat[r], items["color"].iat[r], items["item_id"].iat[r]) if v
        ),
    )
    if row is None:
        return None
    card = item_card(ctx.catalog, row, highlight=True)
    design = items["design_id"].iat[row] or None
    return Query(ctx.catalog.embeddings(ctx.encoder)[row][None], [card], design, (row,))


def filters_ui(catalog: Catalog) -> SearchConfig:
    from skill.catalog.items import colour_names
    from skill.search import SearchConfig

    items = catalog.items
    categories = sorted(c for c in items["category"].unique() if c)
    colours = sorted(c for c in colour_names(items).unique() if c)
    with st.container(border=True):
        one, two = st.columns(2)
        chosen_categories = one.multiselect(
            "Category", categories, key="filter_category", placeholder="All"
        )
        chosen_colours = two.multiselect("Colour", colours, key="filter_colour", placeholder="All")
        one, two = st.columns(2)
        k = one.slider("Designs shown", 1, 50, 12, key="top_k")
        min_score = two.slider("Minimum score", 0.0, 1.0, 0.0, 0.05, key="min_score")
    return SearchConfig(
        k=k,
        min_score=min_score,
        categories=tuple(chosen_categories),
        colors=tuple(chosen_colours),
    )


def results_ui(catalog: Catalog, result: SearchResult) -> None:
    """The same-design answer (or why there is none), then the similar designs, best first."""
    from skill.catalog.designs import design_label

    def cards(group):
        return [item_card(catalog, int(h.row), float(h.score)) for h in group.hits.itertuples()]

    st.markdown(answer_note(result), unsafe_allow_html=True)
    weak = weak_note(result)
    if weak:
        st.markdown(weak, unsafe_allow_html=True)
    if result.same_design is not None:
        group = result.same_design
        photos = f"{len(group.hits)} photo{'s' * (len(group.hits) != 1)}"
        st.markdown(
            render_cards(
                cards(group),
                heading=f"This design in other colours · design **{design_label(group.design_id)}**"
                f" · {photos}{answer_suffix(result)}",
            ),
            unsafe_allow_html=True,
        )
    if not result.similar:
        return
    # A weak best match: the nearest designs are likely unrelated, so they wait behind a click.
    where = st.expander("Nearest designs anyway (weak matches)") if weak else st.container()
    with where:
        st.markdown('<div class="sk-section">Similar designs</div>', unsafe_allow_html=True)
        for group in result.similar:
            label = design_label(group.design_id)
            st.markdown(
                render_cards(cards(group), heading=f"**{label}** · best {group.score:.2f}"),
                unsafe_allow_html=True,
            )


def answer_suffix(result: SearchResult) -> str:
    """How sure the same-design answer is, for its heading ("" for a catalog item's own design)."""
    answer = result.answer
    if answer is None or not answer.accepted:
        return ""
    if answer.probability is not None and answer.probability >= 1.0 and "itself" in answer.source:
        return " · this very photo is in the catalog"
    return f" · {percent(answer.probability)} sure it is the same design"


def answer_note(result: SearchResult) -> str:
    """A plain line when a new photo's design was not found (HTML, escaped), else ""."""
    import html

    from skill.catalog.designs import design_label

    answer = result.answer
    if answer is None or answer.accepted:
        return ""
    closest = html.escape(design_label(answer.design_id))
    if answer.probability is None:
        text = (
            f"<b>No same-design answer</b>: this encoder has no calibrated same-design rule for "
            f"this catalog, so the closest design (<b>{closest}</b>) is shown with the similar "
            "designs below."
        )
    else:
        text = (
            f"<b>No same design found.</b> The closest design, <b>{closest}</b>, is "
            f"{percent(answer.probability)} likely to be this product: too unsure to call it "
            "the same design. Similar designs below."
        )
    return f'<div class="sk-answer">{text}</div>'


def weak_note(result: SearchResult) -> str:
    """A plain note (HTML) when a new photo's best match is weak (:attr:`SearchResult.weak`)
    and no same design was accepted, else ""."""
    if not result.weak or (result.answer is not None and result.answer.accepted):
        return ""
    above = 1.0 - result.match_share
    share = "every" if above >= 1.0 else f"{100 * above:.0f}% of the"
    text = (
        "<b>Nothing in this catalog looks much like this photo.</b> Its best match scores "
        f"{result.best_score:.2f}, lower than the closest other design of {share} catalog's own "
        "photos: the nearest designs are likely unrelated."
    )
    return f'<div class="sk-answer">{text}</div>'


def percent(probability: float | None) -> str:
    """A probability as a whole percentage, never 0 % or 100 % for a fitted model's output."""
    if probability is None:
        return "?"
    return f"{min(max(round(100 * probability), 1), 99)}%"
