"""A Streamlit progress bar that long ``skill`` work reports to (:class:`skill.progress.Progress`)."""

from __future__ import annotations

import streamlit as st


class ProgressBar:
    """An ``st.progress`` bar, called as ``bar(stage, done, total, unit="photos")``.

    Args:
        text: What the bar says before the first report.
        container: Where the bar is drawn (default: where the caller is drawing). A build
            passes a container in the sidebar, which stays in view wherever the page is
            scrolled.

    Example:
        >>> bar = ProgressBar()
        >>> build_catalog(images, catalog_dir, progress=bar)
        >>> bar.finish()
    """

    def __init__(self, text: str = "Starting…", container=None) -> None:
        self._bar = (container or st).progress(0.0, text=text)

    def __call__(self, stage: str, done: int, total: int, unit: str = "photos") -> None:
        from skill.progress import describe

        fraction = min(done / max(total, 1), 1.0)
        self._bar.progress(fraction, text=describe(stage, done, total, unit))

    def finish(self, text: str = "Done") -> None:
        """Shows the bar full."""
        self._bar.progress(1.0, text=text)

    def clear(self) -> None:
        """Removes the bar from the page (the work failed; a message says why)."""
        self._bar.empty()
