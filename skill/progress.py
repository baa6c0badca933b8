"""One way for long work to report progress: ``progress(stage, done, total, unit=...)``.

Every long-running library function (building a catalog, embedding, evaluating, rendering the
demo, training) takes an optional :class:`Progress` callback; the CLI draws it with tqdm and
the app with ``st.progress``. A stage is a short phrase ("embedding with skill-design"), done
and total count ``unit``\\ s of that stage.

Example:
    >>> def show(stage, done, total, unit="photos"):
    ...     print(f"{stage}: {done}/{total} {unit}")
    >>> embed_images(encoder, paths, progress=show)
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """``progress(stage, done, total, unit="photos")``; called often, so keep it cheap."""

    def __call__(self, stage: str, done: int, total: int, unit: str = "photos") -> None: ...


def silent(stage: str, done: int, total: int, unit: str = "photos") -> None:
    """A :class:`Progress` that reports nothing."""


def offset(progress: Progress | None, stage: str, start: int, total: int) -> Progress:
    """A :class:`Progress` for one part of a stage: counts ``start + done`` out of ``total``.

    Args:
        progress: Where to report; ``None`` reports nothing.
        stage: The stage every call reports, whatever the part calls it.
        start: Work already done before this part.
        total: The whole stage's total.
    """
    report = progress or silent

    def part(_stage: str, done: int, _total: int, unit: str = "photos") -> None:
        report(stage, start + done, total, unit)

    return part
