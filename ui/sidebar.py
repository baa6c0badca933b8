"""The sidebar: which catalog is open and which of its encoders searches it.

It reads each encoder's role from the catalog's manifest (:mod:`skill.encoders.roles`), so the
first page loads no model and imports no torch.
"""

from __future__ import annotations

import streamlit as st

from ui.context import Context
from ui.loaders import load_catalog


def render_sidebar() -> Context:
    """Draws the catalog and encoder choices; returns them (no catalog: an empty context)."""
    from skill.catalog.pointer import current_version
    from skill.catalog.registry import catalog_path, list_catalogs
    from skill.encoders.roles import ROLE_HELP, best_encoder, order_encoders

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
        catalog = load_catalog(str(path), current_version(path))
        st.caption(
            f"{len(catalog.items):,} photos · {catalog.manifest['counts'].get('designs', 0):,} "
            f"designs · {len(catalog.skipped):,} skipped"
        )
        st.markdown("### Encoder")
        described = catalog.manifest["encoders"]
        names = order_encoders(described)
        best, why = best_encoder(described)
        if st.session_state.get("encoder") not in names:
            st.session_state["encoder"] = best
        encoder = st.radio(
            "Encoder",
            names,
            key="encoder",
            format_func=lambda n: described[n].get("display_name", n),
            label_visibility="collapsed",
        )
        st.caption(ROLE_HELP.get(described[encoder].get("role"), ""))
        st.caption(f"Default: {described[best].get('display_name', best)}, {why}.")
    return Context(catalog, name, encoder)
