"""The Models tab: each encoder's card, its own evaluation figures, and this catalog's."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from ui.context import Context
from ui.loaders import catalog_retrieval, encoder_infos

if TYPE_CHECKING:
    from skill.encoders.encoder import EncoderInfo

AUTO_SCORE_MAX_ITEMS = 3000
"""Catalogs up to this size are scored on opening the tab; larger ones on a button."""


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


def model_card_ui(name: str, info: EncoderInfo | None) -> None:
    """An encoder's card; ``info`` is ``None`` for one the catalog has but this machine lacks."""
    if info is None:
        st.markdown(f"**{name}**")
        st.caption("In this catalog, but not installed on this machine.")
        return
    st.markdown(f"**{info.display_name}**")
    st.caption(f"`{info.name}` · {info.role} · {info.architecture} · {info.embedding_dim}-d")
    if info.description:
        st.write(info.description)
    config = info.config or {}
    if config.get("same_design"):
        from skill.catalog.same_design import describe_rule

        try:
            st.markdown(describe_rule(config["same_design"]))
        except ValueError as error:
            st.caption(f"Its same-design rule cannot be read: {error}")
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


RECORDED_FIGURES = {
    "hit@1": "hit@1",
    "hit@5": "hit@5",
    "hit@10": "hit@10",
    "mAP": "mAP",
    "color_invariance": "colour invariance",
    "same_design_precision": "answer precision",
    "same_design_recall": "answer recall",
}
"""The figures of an encoder's own evaluation that the Models chart shows, and their labels
(timings, counts and the open-set figures stay in the card's training recipe and the README)."""


def figures_ui(ctx: Context, infos: dict[str, EncoderInfo | None]) -> None:
    """Two charts, each under a heading that says what it measures: the figures each encoder
    was shipped with (its own evaluation, not this catalog), then retrieval on this catalog."""
    import pandas as pd

    from skill.evaluation.figures import flat_numbers

    recorded = []
    for name, info in infos.items():
        metrics = flat_numbers((info.config or {}).get("metrics", {}) if info else {})
        for key, label in RECORDED_FIGURES.items():
            if key in metrics:
                recorded.append({"encoder": name, "figure": label, "value": metrics[key]})
    if recorded:
        st.markdown(
            '<div class="sk-section">Recorded when each encoder was trained</div>',
            unsafe_allow_html=True,
        )
        st.caption(
            "Each trained encoder's own evaluation, stored in its checkpoint: the design-disjoint "
            "validation split of the H&M photos it was trained beside (1,870 photos), not this "
            "catalog. Built-in encoders carry none."
        )
        figures_chart(pd.DataFrame(recorded), infos, "recorded", "Own evaluation (H&M validation)")
    catalog = ctx.catalog
    labelled = catalog is not None and (catalog.items["design_id"] != "").any()
    if not labelled:
        if not recorded:
            st.caption("No evaluation figures yet (the encoders' configs carry none).")
        return
    st.markdown(
        '<div class="sk-section">Colour-variant retrieval on this catalog</div>',
        unsafe_allow_html=True,
    )
    st.caption(
        f"This catalog ({len(catalog.items):,} photos): for every photo whose design exists in "
        "another colour, is a different-colour photo of the same design among its nearest 1 / 5 "
        "/ 10? Uses the stored embeddings (no re-embedding)."
    )
    auto = len(catalog.items) <= AUTO_SCORE_MAX_ITEMS
    if not (auto or st.button("Score the encoders on this catalog", key="eval_button")):
        return
    rows = []
    for name in catalog.encoders:
        figures = catalog_retrieval(str(catalog.path), catalog.version.name, name)
        for key in ("hit@1", "hit@5", "hit@10", "mAP"):
            rows.append({"encoder": name, "figure": key, "value": figures[key]})
    figures_chart(
        pd.DataFrame(rows),
        infos,
        "catalog",
        f"This catalog ({ctx.catalog_name or catalog.path.name})",
    )


def figures_chart(frame, infos: dict[str, EncoderInfo | None], key: str, title: str) -> None:
    """A grouped bar chart of ``frame`` (``encoder, figure, value``), encoders by display name."""
    import plotly.express as px

    names = {n: (infos.get(n).display_name if infos.get(n) else n) for n in frame["encoder"]}
    frame = frame.assign(encoder=frame["encoder"].map(names))
    figure = px.bar(
        frame, x="figure", y="value", color="encoder", barmode="group", text_auto=".3f",
        height=360, title=title,
    )  # fmt: skip
    figure.update_layout(margin=dict(l=0, r=0, t=40, b=0), legend_title_text="")
    st.plotly_chart(figure, key=f"figures_{key}")
