"""One way for long work to report progress: ``progress(stage, done, total, unit=...)``.

Every long-running library function (building a catalog, embedding, evaluating, rendering the
demo, training) takes an optional :class:`Progress` callback; the CLI draws it with tqdm and
the app with ``st.progress``. A stage is a short phrase ("embedding with skill-design"), done
and total count ``unit``\\ s of that stage. Work that cannot be counted (a UMAP fit compiling
and building its neighbour graph) reports the seconds it has run against an estimate, in the
unit :data:`SECONDS`, from the calling thread while a worker thread does the work
(:func:`run_reporting`), so a bar never stands still at 0/1.

Example:
    >>> def show(stage, done, total, unit="photos"):
    ...     print(f"{stage}: {done}/{total} {unit}")
    >>> embed_images(encoder, paths, progress=show)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitTimeout
from typing import Protocol, TypeVar

SECONDS = "s"
"""The unit of a stage that reports elapsed seconds (``done``) against an estimate (``total``)."""

T = TypeVar("T")


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


def describe(stage: str, done: int, total: int, unit: str = "photos") -> str:
    """One line for a progress report: ``"embedding: 64/300 photos"``, or for :data:`SECONDS`
    ``"mapping: 12 s of about 40 s"``."""
    if unit == SECONDS:
        return f"{stage}: {done:,} s of about {max(total, done):,} s"
    return f"{stage}: {done:,}/{total:,} {unit}"


def run_reporting(
    work: Callable[[], T], report: Callable[[float], None], interval: float = 0.5
) -> T:
    """Runs ``work`` in a worker thread and calls ``report(elapsed_seconds)`` every ``interval``
    seconds from the calling thread until it ends; returns what ``work`` returned (or raises
    what it raised).

    Reporting from the calling thread matters in the app: Streamlit draws only from the
    thread that runs the page script.

    Args:
        work: The opaque work.
        report: Called with the seconds elapsed so far; keep it cheap.
        interval: Seconds between reports. Typical 0.2-1.
    """
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(work)
        while True:
            try:
                return future.result(timeout=interval)
            except WaitTimeout:
                report(time.perf_counter() - start)
