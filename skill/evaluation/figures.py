"""The rates an encoder's recorded metrics hold, flat, for a bar chart side by side.

A checkpoint's ``config.json`` carries the metrics of its own evaluation as a nested dict
(``{"val": {"hit@1": 0.41, "queries": 812}, ...}``). The app plots every rate among them; counts
and timings are left out, since they do not share a 0-1 axis with the rates.

Example:
    >>> flat_numbers({"val": {"hit@1": 0.41, "queries": 812}, "mAP": 0.3})
    {'val/hit@1': 0.41, 'mAP': 0.3}
"""

from __future__ import annotations

from collections.abc import Mapping

COUNT_KEYS = frozenset({"skipped", "queries", "gallery", "seconds", "train_seconds"})
"""Metric names that count or time something: never plotted as rates."""


def flat_numbers(metrics: Mapping | None, prefix: str = "") -> dict[str, float]:
    """The rates among the numeric leaves of a nested metrics dict, named ``a/b``.

    Args:
        metrics: Nested dict of figures (``None`` or empty gives ``{}``).
        prefix: Put before every name (used for the nesting).

    Returns:
        Name -> value for every number at most 1.0 (a rate) whose key is not in
        :data:`COUNT_KEYS`; booleans are not numbers here.
    """
    out = {}
    for key, value in (metrics or {}).items():
        name = f"{prefix}{key}"
        if key in COUNT_KEYS:
            continue
        if isinstance(value, Mapping):
            out.update(flat_numbers(value, name + "/"))
        elif isinstance(value, int | float) and not isinstance(value, bool) and value <= 1.0:
            out[name] = float(value)
    return out
