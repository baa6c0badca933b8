"""SkiLL app: find the same product design in other colours, and similar designs.

Run with ``streamlit run app.py``. Layout and wiring only: every number shown comes from a
``skill`` function. Only the open tab runs, and torch loads the first time a photo is
embedded, so the first page is quick. ``SKILL_DATA_DIR`` points the app at another data
folder (tests use it).

Adding a tab: write one ``*_tab(ctx)`` function and add it to :data:`TABS`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp"]
MAP_SELECTION_CARDS = 60
COUNT_KEYS = {"skipped", "queries", "gallery", "seconds", "train_seconds"}  # not rates: no bars
PAGE_CSS = """
<style>
.block-container{padding-top:2.2rem;max-width:1400px}
.sk-hero h1{font-size:1.9rem;margin:0 0 .1rem 0}
.sk-hero p{color:#475467;margin:0 0 .6rem 0}
.sk-section{font-size:1.05rem;font-weight:600;color:#101828;margin:14px 0 0 0}
.sk-empty{color:#667085;padding:28px 0;text-align:center;border:1px dashed #d0d5dd;
  border-radius:12px;background:#fcfcfd}
</style>
"""


@dataclass
class Context:
    """What every tab gets: the open catalog (or None) and the chosen encoder name."""

    catalog: object | None
    catalog_name: str
    encoder: str | None


# ---------------------------------------------------------------- cached loaders


@st.cache_resource(show_spinner=False, max_entries=8)
def load_catalog(path: str, version: str):
    """Opens a catalog once per version (a rebuild changes ``version`` and reloads)."""
    from skill.catalog.store import open_catalog

    return open_catalog(path)


@st.cache_resource(show_spinner="Loading the encoder (first search only)…", max_entries=4)
def load_encoder(name: str, source: str):
    from skill.encoders.registry import reopen_encoder

    return reopen_encoder(name, source)


@st.cache_data(show_spinner=False, max_entries=50_000)
def catalog_thumbnail(path: str, size: int = 192) -> str:
    from ui.cards import thumbnail_uri

    return thumbnail_uri(path, size)


@st.cache_data(show_spinner=False, max_entries=64)
def upload_thumbnail(data: bytes, size: int = 192) -> str:
    from ui.cards import thumbnail_uri

    return thumbnail_uri(data, size)


@st.cache_data(show_spinner=False, max_entries=64)
def embed_photos(name: str, source: str, photos: tuple[bytes, ...]):
    """Embeds uploaded photos; returns (embeddings, positions, failures)."""
    from skill.encoders.embedding import embed_images

    result = embed_images(load_encoder(name, source), list(photos), batch_size=8, runtime="auto")
    return result.embeddings, result.indices, result.failures


@st.cache_data(show_spinner="Grouping designs…", max_entries=16)
def map_labels(path: str, version: str, encoder: str, by: str) -> list[str]:
    from skill.analysis.map_view import point_labels

    catalog = load_catalog(path, version)
    embeddings = catalog.embeddings(encoder) if by == "design cluster" else None
    return point_labels(catalog.items, by, embeddings).tolist()


@st.cache_data(show_spinner="Scoring colour-variant retrieval…", max_entries=32)
def catalog_retrieval(path: str, version: str, encoder: str) -> dict:
    from skill.evaluation.metrics import colour_variant_retrieval

    catalog = load_catalog(path, version)
    items = catalog.items
    colours = items["color"].where(items["color"] != "", items["color_name"])
    return colour_variant_retrieval(catalog.embeddings(encoder), items["design_id"], colours)


@st.cache_resource(show_spinner="Reading the encoders…")
def encoder_infos():
    from skill.encoders.registry import builtin_available, list_encoders

    return [
        info for info in list_encoders() if info.source != "builtin" or builtin_available(info.name)
    ]


# ---------------------------------------------------------------- page


def main() -> None:
    st.set_page_config(page_title="SkiLL · design search", page_icon="🧵", layout="wide")
    st.markdown(PAGE_CSS, unsafe_allow_html=True)
    from ui.cards import CARD_CSS

    st.markdown(CARD_CSS, unsafe_allow_html=True)
    st.markdown(
        '<div class="sk-hero"><h1>SkiLL</h1><p>Find the same design in other colours, '
        "and similar designs, across your catalog photos.</p></div>",
        unsafe_allow_html=True,
    )
    ctx = sidebar_ui()
    if ctx.catalog is None:
        first_run_ui()
    tabs = st.tabs([name for name, _ in TABS], key="tab", on_change="rerun")
    for tab, (_, render) in zip(tabs, TABS, strict=True):
        if tab.open:
            with tab:
                render(ctx)


def sidebar_ui() -> Context:
    from skill.catalog.pointer import current_version
    from skill.catalog.registry import catalog_path, list_catalogs
    from skill.encoders.roles import ROLE_HELP, order_encoders

    entries = {entry.name: entry for entry in list_catalogs()}
    with st.sidebar:
        st.markdown("### Catalog")
        if not entries:
            st.caption("No catalog yet: build the demo or your own in **Catalogs**.")
            return Context(None, "", None)
        if st.session_state.get("switch_catalog") in entries:  # set by a finished build
            st.session_state["catalog"] = st.session_state.pop("switch_catalog")
        if st.session_state.get("catalog") not in entries:
            st.session_state["catalog"] = next(iter(entries))
        name = st.selectbox(
            "Catalog",
            list(entries),
            key="catalog",
            format_func=lambda n: f"{n} · {entries[n].items:,} photos",
            label_visibility="collapsed",
        )
        path = catalog_path(name)
        version = current_version(path)
        catalog = load_catalog(str(path), version)
        st.caption(
            f"{len(catalog.items):,} photos · {catalog.manifest['counts'].get('designs', 0):,} "
            f"designs · {len(catalog.skipped):,} skipped"
        )
        st.markdown("### Encoder")
        described = catalog.manifest["encoders"]
        # The manifest says each encoder's role, so the first page still imports no torch.
        names = order_encoders(described)
        if st.session_state.get("encoder") not in names:
            st.session_state["encoder"] = names[0]
        encoder = st.radio(
            "Encoder",
            names,
            key="encoder",
            format_func=lambda n: described[n].get("display_name", n),
            label_visibility="collapsed",
        )
        st.caption(ROLE_HELP.get(described[encoder].get("role"), ""))
    return Context(catalog, name, encoder)


def first_run_ui(key: str = "build_demo", title: str = "Welcome: build the demo catalog first"):
    from skill.demo.catalog import build_demo

    with st.container(border=True):
        st.markdown(f"#### {title}")
        st.write(
            "The demo renders a few thousand product photos (tops, dresses, bags… in several "
            "colourways) and indexes them with every shipped encoder. It takes several "
            "minutes once; `python -m skill demo` does the same from a terminal."
        )
        if st.button("Build the demo catalog", key=key, type="primary"):
            bar = st.progress(0.0, text="Starting…")

            def progress(stage: str, done: int, total: int, unit: str = "photos") -> None:
                bar.progress(
                    min(done / max(total, 1), 1.0), text=f"{stage}: {done:,}/{total:,} {unit}"
                )

            try:
                build_demo(progress=progress)
            except Exception as error:  # noqa: BLE001 - shown to the user, session goes on
                st.error(f"The demo build failed: {error}")
                return
            st.session_state["switch_catalog"] = "demo"
            st.rerun()


# ---------------------------------------------------------------- search


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
        if mode == "Upload photos":
            uploads = st.file_uploader(
                "Product photos (several photos of one product are searched together)",
                type=UPLOAD_TYPES,
                accept_multiple_files=True,
                key="upload",
            )
            query = upload_query(ctx, uploads or [])
        else:
            query = item_query(ctx)
    with right:
        config = filters_ui(catalog)
    if query is None:
        st.markdown(
            '<div class="sk-empty">Upload a product photo or pick a catalog item to see the '
            "same design in other colours, then similar designs.</div>",
            unsafe_allow_html=True,
        )
        return
    vectors, query_cards, query_design, exclude = query
    st.session_state["query_vectors"] = (str(catalog.path), ctx.encoder, vectors)
    from skill.search import search_catalog
    from ui.cards import render_cards

    start = time.perf_counter()
    result = search_catalog(catalog, ctx.encoder, vectors, config, query_design, exclude)
    elapsed = time.perf_counter() - start
    st.markdown(render_cards(query_cards, heading="Your query"), unsafe_allow_html=True)
    if result.hits.empty:
        st.info("No catalog photo passes the filters. Lower the score threshold or clear filters.")
        return
    results_ui(catalog, result)
    columns = ["group", "design_id", "item_id", "score", "title", "category", "color"]
    columns += ["color_name", "color_hex", "image_path"]
    st.download_button(
        "Download results (CSV)",
        result.hits[[c for c in columns if c in result.hits]].to_csv(index=False),
        file_name="skill-results.csv",
        mime="text/csv",
        key="download_csv",
    )
    st.caption(f"Searched {len(catalog.items):,} photos in {elapsed * 1000:.0f} ms.")


def upload_query(ctx: Context, uploads: list):
    if not uploads:
        return None
    from ui.cards import Card

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
    return embeddings, cards, None, ()


def item_query(ctx: Context):
    from ui.cards import Card

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
    card = item_card(ctx.catalog, row, score=None)
    card = Card(**{**card.__dict__, "highlight": True})
    design = items["design_id"].iat[row] or None
    return ctx.catalog.embeddings(ctx.encoder)[row][None], [card], design, (row,)


def filters_ui(catalog):
    from skill.search import SearchConfig

    items = catalog.items
    categories = sorted(c for c in items["category"].unique() if c)
    colours = items["color"].where(items["color"] != "", items["color_name"])
    colour_names = sorted(c for c in colours.unique() if c)
    with st.container(border=True):
        one, two = st.columns(2)
        chosen_categories = one.multiselect(
            "Category", categories, key="filter_category", placeholder="All"
        )
        chosen_colours = two.multiselect(
            "Colour", colour_names, key="filter_colour", placeholder="All"
        )
        one, two = st.columns(2)
        k = one.slider("Designs shown", 1, 50, 12, key="top_k")
        min_score = two.slider("Minimum score", 0.0, 1.0, 0.0, 0.05, key="min_score")
    return SearchConfig(
        k=k,
        min_score=min_score,
        categories=tuple(chosen_categories),
        colors=tuple(chosen_colours),
    )


def item_card(catalog, row: int, score: float | None):
    from ui.cards import Card

    items = catalog.items
    colour = items["color"].iat[row] or items["color_name"].iat[row]
    return Card(
        thumbnail=catalog_thumbnail(str(catalog.image_path(row))),
        title=items["title"].iat[row] or items["item_id"].iat[row],
        score=score,
        color_hex=items["color_hex"].iat[row],
        color_name=colour,
        category=items["category"].iat[row],
        meta=items["item_id"].iat[row],
    )


def results_ui(catalog, result) -> None:
    from skill.catalog.designs import design_label
    from ui.cards import render_cards

    def cards(group):
        return [item_card(catalog, int(h.row), float(h.score)) for h in group.hits.itertuples()]

    if result.same_design is not None:
        group = result.same_design
        st.markdown(
            render_cards(
                cards(group),
                heading=f"This design in other colours · design **{group.design_id}** · "
                f"{len(group.hits)} photo{'s' * (len(group.hits) != 1)}",
            ),
            unsafe_allow_html=True,
        )
    if result.similar:
        st.markdown('<div class="sk-section">Similar designs</div>', unsafe_allow_html=True)
    for group in result.similar:
        label = design_label(group.design_id)
        st.markdown(
            render_cards(cards(group), heading=f"**{label}** · best {group.score:.2f}"),
            unsafe_allow_html=True,
        )


# ---------------------------------------------------------------- map


def map_tab(ctx: Context) -> None:
    if ctx.catalog is None:
        st.markdown('<div class="sk-empty">No catalog open yet.</div>', unsafe_allow_html=True)
        return
    from skill.analysis.map_view import COLOR_BY

    catalog = ctx.catalog
    top = st.columns([2, 3])
    by = top[0].selectbox("Colour points by", COLOR_BY, key="map_color")
    top[1].caption(
        "Each dot is a photo; nearby dots look alike to the chosen encoder. Drag a box or "
        "lasso to see the photos; your last query shows as a star."
    )
    figure, rows_of_trace = map_figure(ctx, by)
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
    if not rows:
        return
    from ui.cards import render_cards

    shown = rows[:MAP_SELECTION_CARDS]
    heading = f"**{len(rows):,}** selected photos" + (
        f" · first {len(shown)} shown" if len(rows) > len(shown) else ""
    )
    st.markdown(
        render_cards([item_card(catalog, r, None) for r in shown], heading=heading),
        unsafe_allow_html=True,
    )


def map_figure(ctx: Context, by: str):
    """The scatter (WebGL) and, per trace, the catalog row of each point (None: no rows)."""
    import numpy as np
    import plotly.graph_objects as go

    catalog = ctx.catalog
    version = catalog.version.name
    items = catalog.items
    coords = catalog.coords(ctx.encoder)
    hover = (
        items["title"].str.slice(0, 40)
        + "<br>"
        + items["category"]
        + " · "
        + items["color"].where(items["color"] != "", items["color_name"])
    ).to_numpy()
    figure = go.Figure()
    rows_of_trace: list = []
    marker = dict(size=6, opacity=0.8, line=dict(width=0))
    if by == "colour":
        figure.add_trace(
            go.Scattergl(
                x=coords[:, 0], y=coords[:, 1], mode="markers", name="photos",
                marker={**marker, "color": items["color_hex"].replace("", "#999999").tolist(),
                        "line": dict(width=0.5, color="rgba(0,0,0,.25)")},
                hovertext=hover, hoverinfo="text", showlegend=False,
            )
        )  # fmt: skip
        rows_of_trace.append(np.arange(len(items)))
    elif by == "date":
        from skill.analysis.map_view import date_values

        years = date_values(items)
        known = np.flatnonzero(~np.isnan(years))
        missing = np.flatnonzero(np.isnan(years))
        figure.add_trace(
            go.Scattergl(
                x=coords[known, 0], y=coords[known, 1], mode="markers", name="dated",
                marker={**marker, "color": years[known], "colorscale": "Viridis",
                        "colorbar": dict(title="year", thickness=12)},
                hovertext=hover[known], hoverinfo="text", showlegend=False,
            )
        )  # fmt: skip
        rows_of_trace.append(known)
        if len(missing):
            figure.add_trace(
                go.Scattergl(
                    x=coords[missing, 0], y=coords[missing, 1], mode="markers", name="no date",
                    marker={**marker, "color": "#c8ccd4"}, hovertext=hover[missing],
                    hoverinfo="text",
                )
            )  # fmt: skip
            rows_of_trace.append(missing)
    else:
        labels = np.asarray(map_labels(str(catalog.path), version, ctx.encoder, by))
        names, counts = np.unique(labels, return_counts=True)
        for name in names[np.argsort(-counts, kind="stable")]:
            rows = np.flatnonzero(labels == name)
            figure.add_trace(
                go.Scattergl(
                    x=coords[rows, 0], y=coords[rows, 1], mode="markers", name=str(name)[:32],
                    marker=marker, hovertext=hover[rows], hoverinfo="text",
                )
            )  # fmt: skip
            rows_of_trace.append(rows)
    query = st.session_state.get("query_vectors")
    if query and query[0] == str(catalog.path) and query[1] == ctx.encoder:
        from skill.catalog.projection import place_on_map

        xy = place_on_map(
            query[2], catalog.embeddings(ctx.encoder), coords, index=catalog.index(ctx.encoder)
        )
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


# ---------------------------------------------------------------- catalogs


def catalogs_tab(ctx: Context) -> None:
    import pandas as pd

    from skill.catalog.registry import list_catalogs

    entries = list_catalogs()
    if entries:
        st.markdown(
            '<div class="sk-section">Catalogs on this machine</div>', unsafe_allow_html=True
        )
        table = pd.DataFrame(
            [
                {
                    "catalog": e.name,
                    "photos": e.items,
                    "designs": e.designs,
                    "skipped": e.skipped,
                    "encoders": ", ".join(e.encoders),
                    "built": e.created.replace("T", " ")[:16],
                }
                for e in entries
            ]
        )
        st.dataframe(table, hide_index=True, width="stretch", key="catalog_table")
        st.caption("Switch catalog in the sidebar.")
    from skill.demo.catalog import demo_catalog_ready

    if ctx.catalog is not None and not demo_catalog_ready():
        first_run_ui("build_demo_tab", "The demo catalog is not built yet")
    build_ui(ctx)
    summary = st.session_state.get("build_summary")
    if summary:
        summary_ui(summary)


def build_ui(ctx: Context) -> None:
    st.markdown('<div class="sk-section">Build or extend a catalog</div>', unsafe_allow_html=True)
    with st.container(border=True):
        one, two = st.columns(2)
        name = one.text_input(
            "Catalog name",
            key="build_name",
            placeholder="e.g. spring-2026",
            help="An existing name extends that catalog: only new photos are embedded.",
        )
        source = two.radio(
            "Photos from",
            ["A folder on this machine", "A zip upload"],
            key="build_source",
            horizontal=True,
        )
        if source == "A folder on this machine":
            folder = st.text_input("Folder of photos", key="build_folder", placeholder="/path/to")
            archive = None
        else:
            folder = ""
            archive = st.file_uploader("Zip of photos", type=["zip"], key="build_zip")
        csv = st.text_input(
            "Label CSV (optional)",
            key="build_csv",
            placeholder="path, or a file name inside the folder/zip; found automatically",
            help="Columns such as image_path, id, design_id, colour, category, title, date.",
        )
        one, two = st.columns([3, 2])
        infos = encoder_infos()
        choices = {info.name: info.display_name for info in infos}
        # The trained design and colour-variant encoders (each ingest pass costs a full embed);
        # the training-free built-ins of those roles when none ships; else the baseline.
        roles = ("design", "colour-variant")
        preferred = [i.name for i in infos if i.role in roles and i.source != "builtin"] or [
            i.name for i in infos if i.role in roles
        ]
        encoders = one.multiselect(
            "Encoders",
            list(choices),
            default=preferred or [n for n in choices if n == "imagenet-lite0"] or list(choices)[:1],
            format_func=lambda n: choices[n],
            key="build_encoders",
        )
        method = two.radio(
            "Map", ["UMAP (best; ~1 min extra)", "PCA (instant)"], key="build_map", horizontal=True
        )
        if st.button("Build catalog", key="build_button", type="primary"):
            run_build(name, folder, archive, csv, encoders, "pca" if "PCA" in method else "umap")


def run_build(name, folder, archive, csv, encoders, method) -> None:
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig
    from skill.catalog.registry import catalog_path, check_catalog_name, data_dir
    from skill.catalog.source import CatalogInputError
    from skill.catalog.store import CatalogError
    from skill.images.archive import ArchiveError, extract_zip

    try:
        name = check_catalog_name(name)
    except ValueError as error:
        st.warning(str(error))
        return
    if not encoders:
        st.warning("Choose at least one encoder.")
        return
    refused: list[tuple[str, str]] = []
    if archive is not None:
        images = data_dir() / "uploads" / name
        try:
            report = extract_zip(archive.getvalue(), images)
        except ArchiveError as error:
            st.warning(f"**{archive.name}**: {error}")
            return
        refused = report.refused
        for entry, reason in refused[:20]:
            st.warning(f"**{entry}** (in the zip): {reason}")
        if len(refused) > 20:
            st.warning(f"…and {len(refused) - 20} more zip entries refused.")
        if not report.extracted:
            st.warning("The zip holds no usable photo.")
            return
    elif folder.strip():
        images = Path(folder.strip()).expanduser()
        if not images.is_dir():
            st.warning(f"No folder at {images}.")
            return
    else:
        st.warning("Give a folder of photos or upload a zip.")
        return
    csv_path = find_csv(images, csv)
    bar = st.progress(0.0, text="Starting…")

    def progress(stage: str, done: int, total: int, unit: str = "photos") -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"{stage}: {done:,}/{total:,} {unit}")

    try:
        summary = build_catalog(
            images,
            catalog_path(name),
            csv_path,
            encoders=encoders,
            config=CatalogConfig(map=MapConfig(method=method)),
            progress=progress,
        )
    except (CatalogInputError, CatalogError, ValueError, OSError) as error:
        bar.empty()
        st.warning(f"The catalog could not be built: {error}")
        return
    bar.progress(1.0, text="Done")
    st.session_state["build_summary"] = {
        "name": name,
        "items": summary.items,
        "seconds": summary.seconds,
        "embedded": summary.embedded,
        "reused": summary.reused,
        "skipped": summary.skipped,
        "refused": refused,
    }
    st.session_state["switch_catalog"] = name
    st.rerun()


def find_csv(images: Path, given: str) -> Path | None:
    """The label CSV: the given path (absolute or inside the photos), else a lone CSV there."""
    given = given.strip()
    if given:
        path = Path(given).expanduser()
        return path if path.is_absolute() else images / path
    found = sorted(images.rglob("*.csv"))
    return found[0] if len(found) == 1 else None


def summary_ui(summary: dict) -> None:
    import pandas as pd

    st.success(
        f"Catalog **{summary['name']}** built: {summary['items']:,} photos indexed in "
        f"{summary['seconds']:.1f} s."
    )
    cols = st.columns(4)
    cols[0].metric("Photos indexed", f"{summary['items']:,}")
    cols[1].metric("Newly embedded", f"{sum(summary['embedded'].values()):,}")
    cols[2].metric("Reused", f"{sum(summary['reused'].values()):,}")
    skipped = summary["skipped"]
    refused = pd.DataFrame(summary["refused"], columns=["image_path", "reason"])
    every = pd.concat([refused, skipped[["image_path", "reason"]]], ignore_index=True)
    cols[3].metric("Skipped", f"{len(every):,}")
    if len(every):
        st.markdown("Skipped files and why:")
        st.dataframe(every, hide_index=True, width="stretch", key="skipped_table")


# ---------------------------------------------------------------- models


def models_tab(ctx: Context) -> None:
    infos = {info.name: info for info in encoder_infos()}
    if ctx.catalog is not None:
        for name in ctx.catalog.encoders:
            infos.setdefault(name, None)
    st.markdown('<div class="sk-section">Encoders</div>', unsafe_allow_html=True)
    columns = st.columns(min(3, max(len(infos), 1)))
    for i, (name, info) in enumerate(infos.items()):
        with columns[i % len(columns)], st.container(border=True):
            model_card_ui(name, info)
    figures_ui(ctx, infos)


def model_card_ui(name: str, info) -> None:
    if info is None:
        st.markdown(f"**{name}**")
        st.caption("In this catalog, but not installed on this machine.")
        return
    st.markdown(f"**{info.display_name}**")
    st.caption(f"`{info.name}` · {info.role} · {info.architecture} · {info.embedding_dim}-d")
    if info.description:
        st.write(info.description)
    config = info.config or {}
    recipe = config.get("training") or config.get("recipe")
    data = config.get("training_data") or (recipe.get("data") if isinstance(recipe, dict) else "")
    if isinstance(data, dict):  # a training run's record: folder, label CSV, photo count
        folder = Path(str(data.get("images_dir", ""))).name or "?"
        count = data.get("train_images")
        photos = f"{count:,} photos of " if isinstance(count, int) else ""
        data = f"{photos}`{folder}` (labels: `{data.get('csv', '?')}`, design split only)"
    if data:
        st.markdown(f"Training data: {data}")
    if recipe:
        with st.expander("Training recipe"):
            st.json(recipe, expanded=False)


def figures_ui(ctx: Context, infos: dict) -> None:
    import pandas as pd

    rows = []
    for name, info in infos.items():
        metrics = (info.config or {}).get("metrics", {}) if info else {}
        for key, value in flat_numbers(metrics).items():
            rows.append({"encoder": name, "figure": key, "value": value, "on": "its own eval"})
    catalog = ctx.catalog
    labelled = catalog is not None and (catalog.items["design_id"] != "").any()
    if labelled:
        st.markdown(
            '<div class="sk-section">Colour-variant retrieval on this catalog</div>',
            unsafe_allow_html=True,
        )
        st.caption(
            "For every photo whose design exists in another colour: is a different-colour "
            "photo of the same design among its nearest 1 / 5 / 10? Uses the stored "
            "embeddings (no re-embedding)."
        )
        auto = len(catalog.items) <= 3000
        if auto or st.button("Score the encoders on this catalog", key="eval_button"):
            for name in catalog.encoders:
                figures = catalog_retrieval(str(catalog.path), catalog.version.name, name)
                for key in ("hit@1", "hit@5", "hit@10", "mAP"):
                    rows.append(
                        {"encoder": name, "figure": key, "value": figures[key], "on": "catalog"}
                    )
    if not rows:
        st.caption("No evaluation figures yet (the encoders' configs carry none).")
        return
    frame = pd.DataFrame(rows)
    import plotly.express as px

    for source, part in frame.groupby("on", sort=False):
        names = {n: (infos.get(n).display_name if infos.get(n) else n) for n in part["encoder"]}
        part = part.assign(encoder=part["encoder"].map(names))
        figure = px.bar(
            part, x="figure", y="value", color="encoder", barmode="group", text_auto=".2f",
            height=360, title=f"Figures ({source})",
        )  # fmt: skip
        figure.update_layout(margin=dict(l=0, r=0, t=40, b=0), legend_title_text="")
        st.plotly_chart(figure, key=f"figures_{source}")


def flat_numbers(metrics, prefix: str = "") -> dict[str, float]:
    """Rates among the numeric leaves of a nested metrics dict (counts left out), ``a/b``."""
    out = {}
    for key, value in (metrics or {}).items():
        name = f"{prefix}{key}"
        if key in COUNT_KEYS:
            continue
        if isinstance(value, dict):
            out.update(flat_numbers(value, name + "/"))
        elif isinstance(value, int | float) and not isinstance(value, bool) and value <= 1.0:
            out[name] = float(value)
    return out


# ---------------------------------------------------------------- trends


@st.cache_data(show_spinner="Clustering designs…", max_entries=16)
def design_clusters(path: str, version: str, encoder: str, n_clusters: int):
    from skill.analysis.clusters import ClusterConfig, cluster_designs

    catalog = load_catalog(path, version)
    return cluster_designs(
        catalog.embeddings(encoder), catalog.items, ClusterConfig(n_clusters=n_clusters)
    )


def trends_tab(ctx: Context) -> None:
    """Design clusters, their share over time, and few-shot labelling."""
    if ctx.catalog is None:
        st.markdown('<div class="sk-empty">No catalog open yet.</div>', unsafe_allow_html=True)
        return
    from skill.analysis.clusters import auto_cluster_count, cluster_members, name_clusters
    from skill.catalog.designs import design_keys
    from ui.cards import render_cards

    catalog = ctx.catalog
    designs = len(set(design_keys(catalog.items)))
    if designs < 2:
        st.info("Clusters need at least two designs.")
        return
    top = st.columns([1, 1, 3])
    n_clusters = top[0].number_input(
        "Clusters",
        min_value=2,
        max_value=min(60, designs),
        value=auto_cluster_count(designs),
        key="trends_clusters",
    )
    freq = top[1].selectbox(
        "Period", ["M", "Q", "Y"], index=1, key="trends_freq",
        format_func={"M": "month", "Q": "quarter", "Y": "year"}.get,
    )  # fmt: skip
    result = design_clusters(str(catalog.path), catalog.version.name, ctx.encoder, n_clusters)
    top[2].caption(
        f"{len(result.table)} clusters of {designs:,} designs: each design's colour variants are "
        "averaged first, so they always share a cluster. Rename a cluster below."
    )
    names = {c: st.session_state.get(f"trends_name_{n_clusters}_{c}", "") for c in result.names}
    table = name_clusters(result.table, names)
    labels = dict(zip(table["cluster"], table["label"], strict=True))
    with st.expander(f"Clusters ({len(table)})", expanded=True):
        for row in table.itertuples():
            left, right = st.columns([1, 3])
            left.text_input(
                f"Cluster {row.cluster} · {row.size} photos · {row.n_designs} designs",
                placeholder=result.names[row.cluster],
                key=f"trends_name_{n_clusters}_{row.cluster}",
            )
            left.caption(row.top_categories)
            cards = [item_card(catalog, r, None) for r in result.representatives[row.cluster]]
            right.markdown(render_cards(cards), unsafe_allow_html=True)
    members = cluster_members(catalog.items, result)
    members["cluster_label"] = members["cluster"].map(labels)
    st.download_button(
        "Clusters CSV", members.to_csv(index=False), "clusters.csv", "text/csv",
        key="trends_download_clusters",
    )  # fmt: skip
    trend_ui(catalog, result.labels, labels, freq)
    fewshot_ui(ctx)


def trend_ui(catalog, cluster_labels, names: dict, freq: str) -> None:
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
    for direction, icon in (("rising", "📈"), ("falling", "📉")):
        moved = trends[trends["direction"] == direction]
        if len(moved):
            st.markdown(
                f"{icon} **{direction.title()}:** "
                + ", ".join(f"{r.name} ({r.change_points:+.1f} pts)" for r in moved.itertuples())
            )
    if (trends["direction"] == "flat").all():
        st.caption("No cluster or category share moved significantly.")
    st.plotly_chart(trend_figure(shares, trends, names=names), key=f"trends_chart_{by}")
    st.dataframe(trends.drop(columns="group"), hide_index=True, key=f"trends_table_{by}")
    st.download_button(
        "Trend table CSV", trends.to_csv(index=False), f"trends_by_{by}.csv", "text/csv",
        key="trends_download_trends",
    )  # fmt: skip


def fewshot_ui(ctx: Context) -> None:
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


TABS = [
    ("Search", search_tab),
    ("Map", map_tab),
    ("Trends", trends_tab),
    ("Catalogs", catalogs_tab),
    ("Models", models_tab),
]


if __name__ == "__main__":
    main()
