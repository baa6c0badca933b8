"""Per-step schedules of DINO: cosine learning rate, weight decay and teacher momentum, and the
teacher temperature warm-up (Caron et al., ICCV 2021).

Example:
    >>> lr = cosine_schedule(5e-4, 1e-6, total_steps=1000, warmup_steps=100)
    >>> lr[0], lr[100], lr[-1]
"""

from __future__ import annotations

import numpy as np


def cosine_schedule(
    base_value: float,
    final_value: float,
    total_steps: int,
    warmup_steps: int = 0,
    start_warmup_value: float = 0.0,
) -> np.ndarray:
    """A linear warm-up then a half cosine from ``base_value`` to ``final_value``.

    Args:
        base_value: Value at the end of the warm-up.
        final_value: Value at the last step.
        total_steps: Length of the schedule.
        warmup_steps: Steps of linear warm-up from ``start_warmup_value``.
        start_warmup_value: First value of the warm-up.

    Returns:
        Shape (total_steps,): the value at each step.
    """
    if total_steps < 1 or not 0 <= warmup_steps <= total_steps:
        raise ValueError(
            f"need 0 <= warmup_steps <= total_steps >= 1, got {warmup_steps}, {total_steps}"
        )
    warmup = np.linspace(start_warmup_value, base_value, warmup_steps, endpoint=False)
    steps = np.arange(total_steps - warmup_steps)
    span = max(len(steps) - 1, 1)
    cosine = final_value + 0.5 * (base_value - final_value) * (1 + np.cos(np.pi * steps / span))
    return np.concatenate([warmup, cosine])


def teacher_temp_schedule(
    warmup_temp: float, temp: float, total_steps: int, warmup_steps: int
) -> np.ndarray:
    """Linear warm-up of the teacher temperature, then constant.

    Args:
        warmup_temp: Starting temperature. Typical 0.04.
        temp: Final temperature. Typical 0.04-0.07; higher is softer.
        total_steps: Length of the schedule.
        warmup_steps: Steps of the warm-up (DINO: 30 epochs' worth).

    Returns:
        Shape (total_steps,).
    """
    warmup_steps = min(warmup_steps, total_steps)
    return np.concatenate(
        [np.linspace(warmup_temp, temp, warmup_steps), np.full(total_steps - warmup_steps, temp)]
    )
