"""Design-disjoint splits: validation designs are never seen in training, in any colour."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def split_designs(
    design_ids: Sequence, val_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Splits rows so that every design falls wholly in train or in validation.

    Args:
        design_ids: The design of each row.
        val_fraction: Share of designs held out. Typical 0.1-0.3.
        seed: Seed of the shuffle; the same seed gives the same split.

    Returns:
        ``(train_rows, val_rows)``: sorted row positions.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    keys = np.asarray([str(d) for d in design_ids])
    designs = np.unique(keys)
    rng = np.random.default_rng(seed)
    held_out = set(rng.permutation(designs)[: int(round(len(designs) * val_fraction))])
    is_val = np.asarray([key in held_out for key in keys])
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)
