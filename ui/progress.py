"""A Streamlit progress bar that long ``skill`` work reports to (:class:`skill.progress.Progress`)."""

from __future__ import annotations

import streamlit as st


class ProgressBar:
    """An ``st.progress`` bar, called as ``bar(stage, done, total, unit="photos")``.

    Example:
        >>> bar = ProgressBar()
        >>> build_catalog(images, catalog_dir, progress=bar)
        >>> bar.finish()
    """

    def __init__(self, text: str = "Starting…") -> None:
        self._bar = st.progress(0.0, text=text)

    def __call__(self, stage: str, done: int, total: int, unit: str = "photos") -> None:
        fraction = min(done / max(total, 1), 1.0)
        self._bar.progress(fraction, text=f"{stage}: {done:,}/{total:,} {unit}")

    def finish(self, text: str = "Done") -> None:
        """Shows the bar full."""
        self._bar.progress(1.0, text=text)

    def clear(self) -> None:
        """Removes the bar from the page (the work failed; a message says why)."""
        self._bar.empty()
