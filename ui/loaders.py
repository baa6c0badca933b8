"""Everything the app loads or computes once and shares: Streamlit's caches around ``skill``.

``st.cache_resource`` holds what every session shares read-only (catalogs, encoders);
``st.cache_data`` holds arrays, frames and thumbnails. A catalog's cache key includes its live
version, so a rebuild is seen at once and a session never reads a half-built catalog.
``skill`` itself never caches through Streamlit.
"""

from __future__ import annotations

import streamlit as st


@st.cache_resource(show_spinner=False, max_entries=8)
def load_catalog(path: str, version: str):
    """Opens a catalog once per version (a rebuild changes ``version`` and reloads)."""
    from skill.catalog.store import open_catalog

    return open_catalog(path)


@st.cache_resource(show_spinner="Loading the encoder (first search only)…", max_entries=4)
def load_encoder(name: str, source: str):
    from skill.encoders.registry import reopen_encoder

    return reopen_encoder(name, source)


@st.cache_resource(show_spinner="Reading the encoders…")
def encoder_infos():
    """The encoders installed on this machine (built-ins only where their weights are)."""
    from skill.encoders.registry import builtin_available, list_encoders

    return [
        info for info in list_encoders() if info.source != "builtin" or builtin_available(info.name)
    ]


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
    from skill.catalog.items import colour_names
    from skill.evaluation.metrics import colour_variant_retrieval

    catalog = load_catalog(path, version)
    items = catalog.items
    return colour_variant_retrieval(
        catalog.embeddings(encoder), items["design_id"], colour_names(items)
    )


@st.cache_data(show_spinner="Clustering designs…", max_entries=16)
def design_clusters(
    path: str, version: str, encoder: str, n_clusters: int | None, within: str | None = "category"
):
    from skill.analysis.clusters import ClusterConfig, cluster_designs

    catalog = load_catalog(path, version)
    config = ClusterConfig(n_clusters=n_clusters, within=within)
    return cluster_designs(catalog.embeddings(encoder), catalog.items, config)


@st.cache_data(show_spinner=False)
def demo_size() -> tuple[int, int]:
    """Photos and designs the demo catalog renders, counted from its config."""
    from skill.demo import DemoConfig
    from skill.demo.builder import demo_photo_count

    return demo_photo_count(DemoConfig()), DemoConfig().n_designs
