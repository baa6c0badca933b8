"""Which device a training run uses.

Example:
    >>> resolve_device("auto")  # cuda when available, else cpu
    device(type='cpu')
"""

from __future__ import annotations

import torch

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """``"auto"`` picks cuda when available; ``"cpu"`` and ``"cuda"`` as named.

    Raises:
        ValueError: ``name`` is not one of :data:`DEVICES`.
    """
    if name not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {name!r}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)
