"""SkiLL app: find the same product design in other colours, and similar designs.

Run with ``streamlit run app.py``. Wiring only: page config, style, sidebar and tabs; each tab
is a module of :mod:`ui` and every number shown comes from a ``skill`` function. Only the open
tab runs, and torch loads the first time a photo is embedded, so the first page is quick.
``SKILL_DATA_DIR`` points the app at another data folder (tests use it).

Adding a tab: write ``ui/<tab>.py`` with a ``<tab>_tab(ctx)`` function and add it to
:data:`TABS`.
"""

from __future__ import annotations

import streamlit as st

from ui.cards import CARD_CSS
from ui.catalogs import catalogs_tab, demo_panel
from ui.map import map_tab
from ui.models import models_tab
from ui.search import search_tab
from ui.sidebar import render_sidebar
from ui.trends import trends_tab

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

TABS = [
    ("Search", search_tab),
    ("Map", map_tab),
    ("Trends", trends_tab),
    ("Catalogs", catalogs_tab),
    ("Models", models_tab),
]


def main() -> None:
    st.set_page_config(page_title="SkiLL · design search", page_icon="🧵", layout="wide")
    st.markdown(PAGE_CSS, unsafe_allow_html=True)
    st.markdown(CARD_CSS, unsafe_allow_html=True)
    st.markdown(
        '<div class="sk-hero"><h1>SkiLL</h1><p>Find the same design in other colours, '
        "and similar designs, across your catalog photos.</p></div>",
        unsafe_allow_html=True,
    )
    ctx = render_sidebar()
    if ctx.catalog is None:
        demo_panel()
    tabs = st.tabs([name for name, _ in TABS], key="tab", on_change="rerun")
    for tab, (_, render) in zip(tabs, TABS, strict=True):
        if tab.open:
            with tab:
                render(ctx)


if __name__ == "__main__":
    main()
