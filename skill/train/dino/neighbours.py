"""Catalog neighbours as views: label-free pseudo colour variants for the design recipe.

Colour variants of one design are photographed alike, so a training photo's mutual nearest
neighbour among the other training photos is often its own design in another colour (on
held-out H&M training designs, untrained grey features: 71 % of mutual pairs, 85 % of the half
with the clearest gap to the next photo). Pairing a photo's view with its neighbour's, as
nearest-neighbour contrastive learning (NNCLR; Dwibedi et al., ICCV 2021) does in a support
set, shows the network real colourways of real designs where the recolourings of SkiLL's colour
space can only imitate them. No label is read: the pairs come from the teacher's own features,
whitened, and are found again at the start of every epoch as the teacher improves.

Example:
    >>> features = photo_features(teacher, bank, device)
    >>> partners = mutual_partners(features, quantile=0.5)   # -1: no partner
"""

from __future__ import annotations

import numpy as np
import torch

from skill.encoders.whitening import fit_whitening
from skill.train.multicrop import MultiCropModel
from skill.train.view_bank import ViewBank


@torch.no_grad()
def photo_features(
    model: MultiCropModel, bank: ViewBank, device: torch.device, batch_size: int = 256
) -> np.ndarray:
    """The model's pooled features of each photo's plain view (stored map 0), whitened and
    L2-normalised. Shape (n, dim)."""
    was_training = model.training
    model.eval()
    parts = []
    for start in range(0, len(bank), batch_size):
        maps = torch.from_numpy(np.asarray(bank.globals[start : start + batch_size, 0], np.float32))
        parts.append(model.run_tail(maps.to(device)).float().cpu().numpy())
    model.train(was_training)
    features = np.concatenate(parts)
    whitened = fit_whitening(features, dim=min(features.shape[1], len(features) // 2)).apply(
        features
    )
    return whitened / np.maximum(np.linalg.norm(whitened, axis=1, keepdims=True), 1e-12)


def mutual_partners(
    features: np.ndarray, quantile: float = 0.5, chunk_size: int = 1024
) -> np.ndarray:
    """Each photo's mutual nearest neighbour, where it stands clear of the next photo.

    Args:
        features: Shape (n, dim), unit norm.
        quantile: Keep the mutual pairs whose gap (neighbour's score minus the next photo's)
            is at or above this quantile of the mutual pairs' gaps. 0 keeps every mutual pair;
            typical 0-0.7 (higher: fewer, cleaner pairs).
        chunk_size: Rows scored at once.

    Returns:
        Shape (n,): the partner's row, or -1.
    """
    if not 0.0 <= quantile < 1.0:
        raise ValueError(f"quantile must be in [0, 1), got {quantile}")
    x = np.asarray(features, np.float32)
    n = len(x)
    if n < 3:
        return np.full(n, -1, dtype=np.int64)
    nearest = np.zeros(n, dtype=np.int64)
    gap = np.zeros(n, dtype=np.float32)
    for start in range(0, n, chunk_size):
        scores = x[start : start + chunk_size] @ x.T
        scores[np.arange(len(scores)), np.arange(start, start + len(scores))] = -np.inf
        top2 = np.argpartition(-scores, 1, axis=1)[:, :2]
        first = np.take_along_axis(scores, top2, axis=1)
        order = np.argsort(-first, axis=1)
        nearest[start : start + len(scores)] = np.take_along_axis(top2, order[:, :1], axis=1)[:, 0]
        best = np.take_along_axis(first, order, axis=1)
        gap[start : start + len(scores)] = best[:, 0] - best[:, 1]
    mutual = nearest[nearest] == np.arange(n)
    partners = np.full(n, -1, dtype=np.int64)
    if mutual.any():
        # A pair is kept or dropped as one: its weaker side's gap decides.
        pair_gap = np.minimum(gap, gap[nearest])
        keep = mutual & (pair_gap >= np.quantile(pair_gap[mutual], quantile))
        partners[keep] = nearest[keep]
    return partners
