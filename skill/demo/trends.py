"""Launch dates with built-in trends, so the catalog's timeline has something to find.

Each design gets one launch date (all its colourways launch together). The date is drawn from a
density over the days of the window; every trend in `TRENDS` that matches the design multiplies
that density: a rising trend by a ramp from 1 to `strength`, a falling one by a ramp from
`strength` to 1, a seasonal one by 1 + strength * cos(days from the peak day). So a rising
attribute's share of launches grows over the window, by about `strength` times end to end.

Example:
    >>> designs = sample_designs(500, seed=0)
    >>> dates = assign_launch_dates(designs, "2024-01-01", "2025-12-31", seed=0)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from skill.demo.design import Design

ATTRIBUTES = ("print", "kind", "length", "fit")
PATTERNS = ("rises", "falls", "seasonal")


@dataclass(frozen=True)
class Trend:
    """One built-in trend of the demo catalog.

    Attributes:
        attribute: What the trend is about: "print" (`Design.print.kind`, the CSV `print`
            column), "kind" (the CSV `kind` column), or a shape parameter ("length", "fit";
            also in the CSV `attributes` column).
        value: The value that trends, e.g. "stripes".
        pattern: "rises" or "falls" over the whole window, or "seasonal" (peaks each year).
        strength: Rises/falls: density ratio between the two ends of the window, typical values
            in [2, 5]. Seasonal: amplitude of the yearly wave, in [0, 1).
        peak_month: Seasonal only: the month (1-12) whose middle is the peak.
        description: One line for people.
    """

    attribute: str
    value: str
    pattern: str
    strength: float
    peak_month: int = 0
    description: str = ""

    def matches(self, design: Design) -> bool:
        """Return whether the trend applies to a design."""
        return design_attribute(design, self.attribute) == self.value


TRENDS: tuple[Trend, ...] = (
    Trend("print", "stripes", "rises", 4.0, description="Stripes rise: 4x the launch density at the end of the window as at its start."),
    Trend("print", "checks", "falls", 4.0, description="Checks fall: 4x the launch density at the start of the window as at its end."),
    Trend("length", "cropped", "rises", 5.0, description="Cropped lengths (tops, shirts, knitwear, trousers) rise 5x."),
    Trend("fit", "oversized", "rises", 3.0, description="Oversized fits rise 3x."),
    Trend("kind", "shorts", "seasonal", 0.9, peak_month=6, description="Shorts launch in spring and summer, peaking in June."),
    Trend("kind", "sweater", "seasonal", 0.8, peak_month=11, description="Knitwear launches in autumn, peaking in November."),
)  # fmt: skip
"""The trends built into every demo catalog's launch dates."""


def design_attribute(design: Design, attribute: str) -> str:
    """Return a design's value for a trend attribute ("" where the kind has no such parameter)."""
    if attribute not in ATTRIBUTES:
        raise ValueError(f"unknown attribute {attribute!r}; choose one of {ATTRIBUTES}")
    if attribute == "print":
        return design.print.kind
    if attribute == "kind":
        return design.kind
    return str(design.shape.get(attribute, ""))


def launch_density(design: Design, days: list[dt.date], trends=TRENDS) -> np.ndarray:
    """Return the relative launch density of a design over days. Shape (len(days),), sums to 1."""
    n = len(days)
    position = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
    density = np.ones(n)
    day_of_year = None
    for trend in trends:
        if not trend.matches(design):
            continue
        if trend.pattern == "rises":
            density *= 1 + (trend.strength - 1) * position
        elif trend.pattern == "falls":
            density *= trend.strength - (trend.strength - 1) * position
        elif trend.pattern == "seasonal":
            if day_of_year is None:
                day_of_year = np.array([d.timetuple().tm_yday for d in days], dtype=np.float64)
            peak = dt.date(2001, trend.peak_month, 15).timetuple().tm_yday
            density *= 1 + trend.strength * np.cos(2 * np.pi * (day_of_year - peak) / 365.25)
        else:
            raise ValueError(f"unknown pattern {trend.pattern!r}; choose one of {PATTERNS}")
    return density / density.sum()


def assign_launch_dates(
    designs: list[Design], start_date: str, end_date: str, seed: int = 0
) -> list[dt.date]:
    """Draw one launch date per design, following `TRENDS`.

    Args:
        designs: The designs.
        start_date: First day of the window, ISO format ("2024-01-01").
        end_date: Last day of the window, inclusive.
        seed: Random seed; equal seeds give equal dates.

    Returns:
        One date per design, in the order given.
    """
    start, end = dt.date.fromisoformat(start_date), dt.date.fromisoformat(end_date)
    if end < start:
        raise ValueError(f"end_date {end_date} is before start_date {start_date}")
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    rng = np.random.default_rng([seed, 3])
    return [days[rng.choice(len(days), p=launch_density(d, days))] for d in designs]
