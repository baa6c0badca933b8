"""Colourways: which colours of the palette a design is sold in.

Shops sell far more black, white, navy and beige than mustard, so neutrals are drawn more often;
denim comes only in denim colours, and sneakers lean to white and black.
"""

from __future__ import annotations

import numpy as np

from skill.demo.design import Design
from skill.demo.palette import DENIM_COLOURS, PALETTE

NEUTRAL_WEIGHTS = {"Black": 3.0, "White": 3.0, "Navy": 2.0, "Beige": 2.0, "Off White": 1.5,
                   "Light Grey": 1.5, "Grey Melange": 1.5, "Dark Grey": 1.2, "Khaki": 1.2}  # fmt: skip
"""Sampling weight of the colours drawn more often than the rest (whose weight is 1)."""


def colour_weights(design: Design) -> dict[str, float]:
    """Return the sampling weight of every colour a design may take (0 for excluded colours)."""
    if design.fabric == "denim":
        return {name: float(name in DENIM_COLOURS) for name in PALETTE}
    weights = {name: NEUTRAL_WEIGHTS.get(name, 1.0) for name in PALETTE}
    if design.kind == "sneaker":
        weights["White"], weights["Black"] = 6.0, 4.0
    return weights


def sample_colourways(design: Design, n: int, rng: np.random.Generator) -> list[str]:
    """Draw n distinct colourways for a design.

    Args:
        design: The design.
        n: Number of colours; at most the number of colours the design may take.
        rng: Source of randomness.

    Returns:
        Palette names, in the order drawn.
    """
    weights = colour_weights(design)
    names = [k for k, w in weights.items() if w > 0]
    if not 1 <= n <= len(names):
        raise ValueError(f"n must be in [1, {len(names)}] for {design.design_id}, got {n}")
    p = np.array([weights[k] for k in names])
    picks = rng.choice(len(names), size=n, replace=False, p=p / p.sum())
    return [names[i] for i in picks]
