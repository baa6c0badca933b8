"""NT-Xent against a direct re-derivation."""

from __future__ import annotations

import math

import pytest
import torch

from skill.train.losses.nt_xent import NTXentLoss


def _reference(z: torch.Tensor, temperature: float) -> float:
    batch, views, _ = z.shape
    flat = torch.nn.functional.normalize(z.reshape(batch * views, -1), dim=1).double()
    total, count = 0.0, 0
    for i in range(batch * views):
        others = [k for k in range(batch * views) if k != i]
        denominator = sum(math.exp(float(flat[i] @ flat[k]) / temperature) for k in others)
        positives = [k for k in others if k // views == i // views]
        for p in positives:
            total += -math.log(
                math.exp(float(flat[i] @ flat[p]) / temperature) / denominator
            ) / len(positives)
        count += 1
    return total / count


@pytest.mark.parametrize("views", [2, 4])
def test_nt_xent_matches_reference(views):
    z = torch.randn(5, views, 8, generator=torch.Generator().manual_seed(views))
    assert NTXentLoss(0.2)(z).item() == pytest.approx(_reference(z, 0.2), rel=1e-5)


def test_nt_xent_prefers_aligned_views_and_checks_shape():
    anchors = torch.eye(6)[:, None, :].repeat(1, 2, 1)
    shuffled = torch.stack([anchors[:, 0], anchors[torch.arange(6).roll(1), 1]], dim=1)
    loss = NTXentLoss(0.1)
    assert loss(anchors).item() < loss(shuffled).item()
    with pytest.raises(ValueError, match="views"):
        loss(torch.randn(4, 1, 3))
