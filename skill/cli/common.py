"""Flags and helpers that several commands share: CSV column flags, the runtime flag, tqdm bars.

Nothing here imports pandas, torch or tqdm at module level, so ``python -m skill --help``
stays quick; the helpers import what they need when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skill.catalog.source import ColumnMap


def add_runtime_flag(parser: argparse.ArgumentParser, int8: bool = False) -> None:
    """``--runtime``: how photos are embedded; ``int8`` also offers ``onnx-int8`` (builds)."""
    parser.add_argument(
        "--runtime",
        default="auto",
        choices=["auto", "onnx", "torch", "channels_last"] + (["onnx-int8"] if int8 else []),
        help="embedding runtime (auto: ONNX Runtime where installed, else torch"
        + (
            "; onnx-int8: encoders and attribute model quantised, calibrated on the catalog's photos"
            if int8
            else ""
        )
        + ")",
    )


def add_column_flags(parser: argparse.ArgumentParser) -> None:
    """``--csv`` and the ``--*-col`` flags that name its columns (read back by :func:`columns`)."""
    parser.add_argument("--csv", type=Path, help="CSV of labels (optional)")
    parser.add_argument("--image-col", help="CSV column with image paths (relative to --images)")
    parser.add_argument("--id-col", help="CSV column with item ids")
    parser.add_argument("--design-col", help="CSV column with design ids")
    parser.add_argument("--color-col", help="CSV column with colour names")
    parser.add_argument("--category-col", help="CSV column with categories")
    parser.add_argument("--title-col", help="CSV column with titles")
    parser.add_argument("--date-col", help="CSV column with dates")


def columns(args: argparse.Namespace) -> ColumnMap:
    """The column names given with :func:`add_column_flags`' flags."""
    from skill.catalog.source import ColumnMap

    return ColumnMap(
        image=args.image_col,
        id=args.id_col,
        design=args.design_col,
        color=args.color_col,
        category=args.category_col,
        title=args.title_col,
        date=args.date_col,
    )


class ProgressBar:
    """A :class:`skill.progress.Progress` drawing one tqdm bar per stage on stderr.

    Use it as a context manager: the bar is closed (and, as ``leave=False``, wiped) when the
    work ends or fails, so a one-line error message never sits under a half-drawn bar.

    A bar starts where its stage's first report is (tqdm's ``initial``), so its rate counts only
    work done while it was shown, and the rate always reads as units per second. A stage in
    :data:`skill.progress.SECONDS` shows the seconds elapsed against its estimate, no rate.

    Example:
        >>> with ProgressBar() as progress:
        ...     summary = build_catalog(images, catalog, progress=progress)
        >>> print(summary.describe())
    """

    RATE_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_noinv_fmt}]"
    SECONDS_FORMAT = "{desc}: {bar}| {n:.0f} s of about {total:.0f} s"

    def __init__(self) -> None:
        self._stage: tuple[str, str] | None = None
        self._bar = None

    def __call__(self, stage: str, done: int, total: int, unit: str = "photos") -> None:
        from skill.progress import SECONDS

        if (stage, unit) != self._stage:
            from tqdm import tqdm

            self.close()
            self._stage = (stage, unit)
            self._bar = tqdm(
                total=total,
                initial=done,
                desc=stage,
                unit=f" {unit}",
                file=sys.stderr,
                leave=False,
                bar_format=self.SECONDS_FORMAT if unit == SECONDS else self.RATE_FORMAT,
            )
        self._bar.total = max(total, done)
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        """Closes the current stage's bar, if any."""
        if self._bar is not None:
            self._bar.close()
        self._bar = None
        self._stage = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
