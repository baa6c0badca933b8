"""The Catalogs tab: the catalogs on this machine, building the demo, building your own.

The checks of a build request and where its photos come from are
:func:`skill.catalog.intake.prepare_build`'s; this module only shows what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from ui.context import Context
from ui.loaders import demo_size, encoder_infos
from ui.progress import ProgressBar

if TYPE_CHECKING:
    from streamlit.runtime.uploaded_file_manager import UploadedFile

REFUSED_SHOWN = 20
"""Refused zip entries named one by one; the rest are counted."""


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
        demo_panel("build_demo_tab", "The demo catalog is not built yet")
    build_ui()
    summary = st.session_state.get("build_summary")
    if summary:
        summary_ui(summary)


def demo_panel(key: str = "build_demo", title: str = "Welcome: build the demo catalog first"):
    """Offers to build the demo catalog; a finished build opens it."""
    from skill.demo.catalog import build_demo

    photos, designs = demo_size()
    with st.container(border=True):
        st.markdown(f"#### {title}")
        st.write(
            f"The demo renders {photos:,} product photos of {designs:,} designs (tops, dresses, "
            "bags… in 2-5 colourways each) and indexes them with every shipped encoder. It "
            "takes several minutes once; `python -m skill demo` does the same from a terminal."
        )
        if st.button("Build the demo catalog", key=key, type="primary"):
            try:
                build_demo(progress=ProgressBar())
            except Exception as error:  # noqa: BLE001 - shown to the user, session goes on
                st.error(f"The demo build failed: {error}")
                return
            st.session_state["switch_catalog"] = "demo"
            st.rerun()


def build_ui() -> None:
    from skill.encoders.registry import default_encoder

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
        # The best measured encoder, as `python -m skill index` (each one costs a full embed).
        best, why = default_encoder(infos)
        encoders = one.multiselect(
            "Encoders",
            list(choices),
            default=[best],
            format_func=lambda n: choices[n],
            key="build_encoders",
            help=f"Default: {choices[best]}, {why}.",
        )
        method = two.radio(
            "Map", ["UMAP (best; ~1 min extra)", "PCA (instant)"], key="build_map", horizontal=True
        )
        one, two = st.columns(2)
        replace = one.checkbox(
            "Start over with these photos",
            key="build_replace",
            help="The catalog becomes this source only; its other photos are removed.",
        )
        prune = two.checkbox(
            "Remove photos that are gone",
            key="build_prune",
            help="Drops rows whose file was deleted, and rows this source no longer lists.",
        )
        shrink = st.session_state.get("build_shrink")
        allow_shrink = False
        if shrink:  # a build refused because it would drop most of the catalog
            st.warning(f"Nothing was changed: {shrink}.")
            allow_shrink = st.checkbox(
                "Build anyway and remove them", key="build_confirm_shrink", help="Then press Build."
            )
        busy = build_preview(name, folder, csv, replace, prune)
        if st.button("Build catalog", key="build_button", type="primary", disabled=busy):
            run_build(
                name,
                folder,
                archive,
                csv,
                encoders,
                "pca" if "PCA" in method else "umap",
                BuildChoices(replace, prune, allow_shrink),
            )


@dataclass(frozen=True)
class BuildChoices:
    """How a build treats the catalog's existing rows (see :func:`plan_build`)."""

    replace: bool = False
    prune: bool = False
    allow_shrink: bool = False


def build_preview(name: str, folder: str, csv: str, replace: bool, prune: bool) -> bool:
    """Says what the build will do before it runs; True when another build holds the catalog.

    A folder source is planned live (:func:`skill.catalog.plan.plan_build` reads listings and
    tables only); a zip is planned when it is unpacked, at the build.
    """
    from skill.catalog.lock import read_lock
    from skill.catalog.pointer import current_version
    from skill.catalog.registry import catalog_path

    if not name.strip():
        return False
    try:
        target = catalog_path(name.strip())
    except ValueError:  # a name the build will refuse, with its own message
        return False
    holder = read_lock(target)
    if holder is not None:
        st.info(f"A build of this catalog is running: {holder.describe()}. Try again when done.")
        return True
    if folder.strip():
        text = plan_text(str(target), folder.strip(), csv.strip(), replace, prune,
                         current_version(target) or "")  # fmt: skip
        if text:
            st.caption(f"This build {text}")
    return False


@st.cache_data(ttl=20, show_spinner=False, max_entries=64)
def plan_text(target: str, folder: str, csv: str, replace: bool, prune: bool, live: str) -> str:
    """:meth:`BuildPlan.describe` of a folder build, "" when it cannot be planned (the build
    itself says why). Cached a few seconds per inputs and live version (``live``), so the
    form's reruns, one per widget change, do not list the folder again each time."""
    from skill.catalog.plan import plan_build

    try:
        return plan_build(folder, target, csv or None, replace=replace, prune=prune).describe()
    except Exception:  # noqa: BLE001 - shown nowhere: the build reports what is wrong
        return ""


def run_build(
    name: str,
    folder: str,
    archive: UploadedFile | None,
    csv: str,
    encoders: list[str],
    method: str,
    choices: BuildChoices = BuildChoices(),
) -> None:
    """Builds the catalog with a progress bar; on success opens it and shows a summary.

    A build that would drop more than half of the catalog is refused until the user ticks the
    confirmation it then shows; one that finds another build running says which and waits for
    nothing.
    """
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.intake import IntakeError, prepare_build
    from skill.catalog.lock import CatalogBusyError
    from skill.catalog.plan import CatalogShrinkError
    from skill.catalog.projection import MapConfig
    from skill.catalog.registry import catalog_path
    from skill.catalog.source import CatalogInputError
    from skill.catalog.store import CatalogError
    from skill.images.archive import ArchiveError

    try:
        inputs = prepare_build(
            name, encoders, folder, archive.getvalue() if archive is not None else None, csv
        )
    except ArchiveError as error:
        st.warning(f"**{archive.name}**: {error}")
        return
    except IntakeError as error:
        show_refused(error.refused)
        st.warning(str(error))
        return
    show_refused(inputs.refused)
    # The sidebar stays in view wherever the page is scrolled; below the button the bar was
    # under the fold.
    st.caption(f"Building **{inputs.name}**: its progress is in the sidebar.")
    status = st.sidebar.status(f"Building {inputs.name}…", expanded=True)
    bar = ProgressBar(container=status)
    try:
        summary = build_catalog(
            inputs.images,
            catalog_path(inputs.name),
            inputs.csv,
            encoders=inputs.encoders,
            config=CatalogConfig(map=MapConfig(method=method)),
            progress=bar,
            replace=choices.replace,
            prune=choices.prune,
            allow_shrink=choices.allow_shrink,
        )
    except CatalogShrinkError as error:
        bar.clear()
        status.update(label=f"{inputs.name}: nothing changed", state="error")
        st.session_state["build_shrink"] = error.what
        st.rerun()  # shows what would be dropped, and the confirmation box
    except CatalogBusyError as error:
        bar.clear()
        status.update(label=f"{inputs.name} is being built elsewhere", state="error")
        st.warning(f"Nothing was changed: {error}")
        return
    except (CatalogInputError, CatalogError, ValueError, OSError) as error:
        bar.clear()
        status.update(label=f"{inputs.name} could not be built", state="error")
        st.warning(f"The catalog could not be built: {error}")
        return
    bar.finish()
    status.update(label=f"{inputs.name} built", state="complete")
    st.session_state["build_summary"] = {
        "name": inputs.name,
        "items": summary.items,
        "seconds": summary.seconds,
        "embedded": summary.embedded,
        "reused": summary.reused,
        "skipped": summary.skipped,
        "refused": list(inputs.refused),
        "plan": summary.plan.describe() if summary.plan is not None else "",
        "attributes": summary.attributes,
    }
    st.session_state.pop("build_shrink", None)
    st.session_state["switch_catalog"] = inputs.name
    st.rerun()


def show_refused(refused: list[tuple[str, str]]) -> None:
    """One warning per refused zip entry, the first :data:`REFUSED_SHOWN`, then a count."""
    for entry, reason in refused[:REFUSED_SHOWN]:
        st.warning(f"**{entry}** (in the zip): {reason}")
    if len(refused) > REFUSED_SHOWN:
        st.warning(f"…and {len(refused) - REFUSED_SHOWN} more zip entries refused.")


def summary_ui(summary: dict) -> None:
    import pandas as pd

    st.success(
        f"Catalog **{summary['name']}** built: {summary['items']:,} photos indexed in "
        f"{summary['seconds']:.1f} s."
    )
    if summary.get("plan"):
        st.caption(f"The build {summary['plan']}")
    if summary.get("attributes"):
        st.caption(f"Also stored: {summary['attributes']}.")
    cols = st.columns(4)
    cols[0].metric("Photos indexed", f"{summary['items']:,}")
    for column, what, key in (
        (cols[1], "Newly embedded", "embedded"),
        (cols[2], "Reused", "reused"),
    ):
        label, value, details = per_encoder(what, summary[key])
        column.metric(label, value, help=details)
    skipped = summary["skipped"]
    refused = pd.DataFrame(summary["refused"], columns=["image_path", "reason"])
    every = pd.concat([refused, skipped[["image_path", "reason"]]], ignore_index=True)
    cols[3].metric("Skipped", f"{len(every):,}")
    if len(every):
        st.markdown("Skipped files and why:")
        st.dataframe(every, hide_index=True, width="stretch", key="skipped_table")


def per_encoder(what: str, counts: dict[str, int]) -> tuple[str, str, str]:
    """A summary metric of photos counted per encoder: ``(label, value, help)``.

    Every encoder embeds every photo, so a sum over encoders counted 600 for 300 photos and two
    encoders: the metric says per encoder instead, and its help lists each encoder's count.
    """
    values = set(counts.values())
    if len(values) == 1:
        each = f" (each of {len(counts)} encoders)" if len(counts) > 1 else ""
        label, value = f"{what}{each}", f"{values.pop():,}"
    else:
        label, value = f"{what} (photos × encoders)", f"{sum(counts.values()):,}"
    details = "; ".join(f"{name}: {count:,} photos" for name, count in counts.items())
    return label, value, details or "no encoder"
