"""Trends: how the share of each cluster (or category) in a dated catalog moves over time.

A catalog's ``date`` column (launch or first-seen date) is bucketed into periods (months,
quarters, years); in each period every group's share of the launches is counted. A trend is
the least-squares slope of a group's share against time, weighted by the launches per period
(a period with 3 launches says less than one with 300):

- ``change_points``: fitted share at the last period minus at the first, in percentage points;
- ``p_value``: two-sided t-test of the weighted slope (is it distinguishable from flat?);
- ``consistency``: Kendall's tau of share against time, in [-1, 1] (1: every period is above
  the ones before; the Mann-Kendall trend measure, robust to one odd period).

A group is ``rising`` or ``falling`` when its p-value is below ``alpha`` and it moved by at
least ``min_change_points``; otherwise ``flat``.

Example:
    >>> shares = cluster_share_over_time(catalog.items, result.labels, freq="Q")
    >>> trends = find_trends(shares)
    >>> trend_figure(shares, trends, names=result.names).show()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from skill.catalog.designs import design_keys

FREQUENCIES = {"M": "month", "Q": "quarter", "Y": "year"}
UNITS = ("items", "designs")


@dataclass
class ShareTable:
    """Launch counts and shares per period and group.

    Attributes:
        counts: Launches per period (rows, a ``PeriodIndex``) and group (columns).
        shares: ``counts`` divided by each period's total; rows sum to 1.
        freq: The period frequency, ``M``, ``Q`` or ``Y``.
        bad_dates: Rows whose date could not be read (left out).
        missing_dates: Rows with no date (left out).
        totals: Launches per period, where the groups overlap (attributes a launch may have
            several of) and ``counts`` do not add up to it; ``None`` when they do.
    """

    counts: pd.DataFrame
    shares: pd.DataFrame
    freq: str
    bad_dates: int
    missing_dates: int
    totals: pd.Series | None = None

    def long(self) -> pd.DataFrame:
        """CSV-ready long table: ``period, group, count, share`` (one row per pair)."""
        counts = self.counts.stack().rename("count")
        shares = self.shares.stack().rename("share").round(6)
        table = pd.concat([counts, shares], axis=1).reset_index()
        table.columns = ["period", "group", "count", "share"]
        table["period"] = table["period"].astype(str)
        return table


def parse_dates(values: Sequence | pd.Series) -> tuple[pd.Series, int, int]:
    """Reads dates leniently (ISO, ``2024/03/01``, ``2024-03``, ...).

    Returns:
        ``(dates, bad, missing)``: the parsed dates (NaT where unreadable or empty), the count
        of unreadable non-empty values and the count of empty ones.
    """
    text = pd.Series(values, dtype=object).astype(str).str.strip()
    empty = text.isin(["", "nan", "NaT", "None"])
    parsed = pd.to_datetime(text.where(~empty), errors="coerce", format="ISO8601")
    retry = parsed.isna() & ~empty
    if retry.any():  # mixed formats: a second, slower per-value pass
        parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed")
    bad = int((parsed.isna() & ~empty).sum())
    return parsed, bad, int(empty.sum())


def share_over_time(
    dates: Sequence | pd.Series,
    groups: Sequence | pd.Series,
    freq: str = "Q",
    designs: Sequence | None = None,
) -> ShareTable:
    """Counts launches per period and group.

    Args:
        dates: A date per row (text or datetime).
        groups: A group per row (cluster id, category, print, ...).
        freq: ``M`` (month), ``Q`` (quarter) or ``Y`` (year).
        designs: A design per row: each design then counts once (at its earliest readable
            date), so a design sold in many colours is one launch, not many.

    Returns:
        A :class:`ShareTable`.
    """
    if freq not in FREQUENCIES:
        raise ValueError(f"freq must be one of {tuple(FREQUENCIES)}, got {freq!r}")
    if len(dates) != len(groups):
        raise ValueError(f"got {len(dates)} dates for {len(groups)} groups")
    parsed, bad, missing = parse_dates(dates)
    frame = pd.DataFrame({"date": parsed.to_numpy(), "group": np.asarray(groups, dtype=object)})
    if designs is not None:
        frame["design"] = np.asarray(designs, dtype=object)
    frame = frame.dropna(subset=["date"])
    if designs is not None:  # a design launches once, at its earliest readable date
        frame = frame.sort_values("date", kind="stable").drop_duplicates("design")
    if frame.empty:
        empty = pd.DataFrame(index=pd.PeriodIndex([], freq=freq))
        return ShareTable(empty, empty.copy(), freq, bad, missing)
    frame["period"] = frame["date"].dt.to_period(freq)
    counts = frame.groupby(["period", "group"]).size().unstack(fill_value=0)
    full = pd.period_range(counts.index.min(), counts.index.max(), freq=freq)
    counts = counts.reindex(full, fill_value=0)
    counts.index.name, counts.columns.name = "period", "group"
    totals = counts.sum(axis=1).replace(0, np.nan)
    shares = counts.div(totals, axis=0).fillna(0.0)
    return ShareTable(counts, shares, freq, bad, missing)


def cluster_share_over_time(
    items: pd.DataFrame, labels: np.ndarray, freq: str = "Q", per_design: bool = True
) -> ShareTable:
    """Share of each cluster among the launches of each period.

    Args:
        items: The item table (``date``, ``design_id``).
        labels: Cluster per row, shape (n,).
        freq: ``M``, ``Q`` or ``Y``.
        per_design: Count each design once rather than each photo.
    """
    if len(labels) != len(items):
        raise ValueError(f"got {len(labels)} labels for {len(items)} items")
    return share_over_time(items["date"], labels, freq, design_keys(items) if per_design else None)


def category_share_over_time(
    items: pd.DataFrame, freq: str = "Q", column: str = "category", per_design: bool = True
) -> ShareTable:
    """Share of each category (or of any other column, e.g. ``print``) over time."""
    if column not in items:
        raise ValueError(f"no column {column!r}; columns are {list(items.columns)}")
    groups = items[column].astype(str).replace("", "(none)")
    return share_over_time(items["date"], groups, freq, design_keys(items) if per_design else None)


def attribute_share_over_time(
    items: pd.DataFrame, attributes, choice: str, freq: str = "Q", per_design: bool = True
) -> ShareTable:
    """Share of launches by predicted attribute.

    Args:
        items: The item table (``date``, ``design_id``).
        attributes: The catalog's :class:`skill.catalog.attribute_table.CatalogAttributes`.
        choice: An exclusive group (``pattern``, ``sleeves``, ...): each launch counts under its
            fact value, or ``not sure``. A detail label (``hood``) or ``details`` (every
            detail): the share of launches that have it as a fact; groups overlap, so each
            group's share is of all launches (:attr:`ShareTable.totals`).
        freq: ``M``, ``Q`` or ``Y``.
        per_design: Count each design once (its earliest dated photo) rather than each photo.
    """
    designs = design_keys(items) if per_design else None
    details = [label for label in attributes.choices() if label in attributes.labels]
    if choice not in ("details", *details):
        return share_over_time(items["date"], attributes.values(choice), freq, designs)
    facts = attributes.facts()
    counts, totals, first = {}, None, None
    for label in details if choice == "details" else [choice]:
        j = attributes.labels.index(label)
        table = share_over_time(items["date"], np.where(facts[:, j], "yes", "no"), freq, designs)
        counts[attributes.display[j]] = (
            table.counts["yes"] if "yes" in table.counts else table.counts.sum(axis=1) * 0
        )
        totals, first = table.counts.sum(axis=1), table
    frame = pd.DataFrame(counts)
    frame.columns.name = "group"
    if first is None or frame.empty:
        empty = pd.DataFrame(index=pd.PeriodIndex([], freq=freq))
        return ShareTable(empty, empty.copy(), freq, 0, 0)
    shares = frame.div(totals.replace(0, np.nan), axis=0).fillna(0.0)
    return ShareTable(frame, shares, freq, first.bad_dates, first.missing_dates, totals)


def find_trends(
    shares: ShareTable, alpha: float = 0.05, min_change_points: float = 1.0
) -> pd.DataFrame:
    """Fits a weighted least-squares line to every group's share over time.

    Args:
        shares: From :func:`share_over_time` and friends.
        alpha: Significance level for calling a trend. Typical 0.01-0.1.
        min_change_points: Smallest fitted change (percentage points, first to last period)
            worth calling a trend. Typical 0.5-5.

    Returns:
        CSV-ready, one row per group, strongest rising first and strongest falling last:
        ``group, launches, mean_share, first_share, last_share, change_points,
        slope_points_per_period, p_value, consistency, direction``.
    """
    counts, table = shares.counts, shares.shares
    periods = len(table)
    weights = (counts.sum(axis=1) if shares.totals is None else shares.totals).to_numpy(float)
    x = np.arange(periods, dtype=float)
    rows = []
    for group in table.columns:
        y = table[group].to_numpy(float)
        slope, intercept, p_value = _weighted_slope(x, y, weights)
        tau = kendall_tau(x, y)
        first, last = intercept, intercept + slope * (periods - 1)
        change = 100 * (last - first)
        significant = p_value < alpha and abs(change) >= min_change_points
        rows.append(
            {
                "group": group,
                "launches": int(counts[group].sum()),
                "mean_share": float(np.average(y, weights=weights)) if weights.sum() else 0.0,
                "first_share": first,
                "last_share": last,
                "change_points": change,
                "slope_points_per_period": 100 * slope,
                "p_value": p_value,
                "consistency": float(tau),
                "direction": ("rising" if change > 0 else "falling") if significant else "flat",
            }
        )
    columns = [
        "group",
        "launches",
        "mean_share",
        "first_share",
        "last_share",
        "change_points",
        "slope_points_per_period",
        "p_value",
        "consistency",
        "direction",
    ]
    result = pd.DataFrame(rows, columns=columns)
    return result.sort_values("change_points", ascending=False, ignore_index=True)


def trend_figure(
    shares: ShareTable,
    trends: pd.DataFrame | None = None,
    names: Mapping | None = None,
    highlight: Sequence | None = None,
    title: str = "Share of launches over time",
):
    """Line chart of every group's share; rising groups green, falling red, the rest grey.

    Args:
        shares: The share table.
        trends: :func:`find_trends` output; computed when omitted.
        names: Group -> display name (cluster labels).
        highlight: Groups to draw bold whatever their direction (default: the rising and
            falling ones).
        title: Chart title.

    Returns:
        A ``plotly.graph_objects.Figure``.
    """
    import plotly.graph_objects as go

    trends = find_trends(shares) if trends is None else trends
    direction = dict(zip(trends["group"], trends["direction"], strict=True))
    change = dict(zip(trends["group"], trends["change_points"], strict=True))
    bold = (
        set(highlight)
        if highlight is not None
        else {g for g, d in direction.items() if d != "flat"}
    )
    x = shares.shares.index.astype(str)
    figure = go.Figure()
    order = sorted(shares.shares.columns, key=lambda g: (g in bold, change.get(g, 0.0)))
    for group in order:  # bold lines drawn last, on top
        kind = direction.get(group, "flat")
        colour = {"rising": "#1a9850", "falling": "#d73027"}.get(kind, "#9e9e9e")
        name = str(names.get(group, group)) if names else str(group)
        if kind != "flat":
            name = f"{name} ({kind} {change[group]:+.1f} pts)"
        figure.add_trace(
            go.Scatter(
                x=x,
                y=100 * shares.shares[group],
                mode="lines+markers" if group in bold else "lines",
                name=name,
                line={"color": colour, "width": 3 if group in bold else 1},
                opacity=1.0 if group in bold else 0.5,
            )
        )
    figure.update_layout(
        title=title,
        xaxis_title=FREQUENCIES[shares.freq],
        yaxis_title="share of launches (%)",
        legend={"orientation": "v"},
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
    )
    return figure


def kendall_tau(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b (ties in either variable corrected); 0.0 when undefined. O(n^2)."""
    if len(x) < 3:
        return 0.0
    upper = np.triu_indices(len(x), k=1)
    dx = np.sign(np.subtract.outer(x, x)[upper])
    dy = np.sign(np.subtract.outer(y, y)[upper])
    denominator = np.sqrt(np.count_nonzero(dx) * np.count_nonzero(dy))
    return float((dx * dy).sum() / denominator) if denominator else 0.0


def _weighted_slope(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Weighted least squares ``y ~ a + b x``; returns ``(b, a, two-sided p-value of b)``."""
    from scipy.special import stdtr  # Student t CDF; scipy.stats is much slower to import

    keep = w > 0
    x, y, w = x[keep], y[keep], w[keep]
    if len(x) < 2:
        return 0.0, float(y[0]) if len(y) else 0.0, 1.0
    w = w / w.mean()
    x_mean, y_mean = np.average(x, weights=w), np.average(y, weights=w)
    sxx = float((w * (x - x_mean) ** 2).sum())
    slope = float((w * (x - x_mean) * (y - y_mean)).sum() / sxx)
    intercept = y_mean - slope * x_mean
    if len(x) < 3:
        return slope, intercept, 1.0
    residual = float((w * (y - intercept - slope * x) ** 2).sum()) / (len(x) - 2)
    if residual <= 0:
        return slope, intercept, 0.0 if slope != 0 else 1.0
    t = slope / np.sqrt(residual / sxx)
    return slope, intercept, float(2 * stdtr(len(x) - 2, -abs(t)))
