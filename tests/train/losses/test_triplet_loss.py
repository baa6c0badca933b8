"""Triplet losses against direct re-derivations (loops over every anchor, positive and negative)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from skill.train.losses.triplet_loss import TripletLoss, pairwise_distances


def _batch(seed: int = 0, n_classes: int = 4, per_class: int = 3, dim: int = 5):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_classes * per_class, dim, generator=generator)
    labels = torch.arange(n_classes).repeat_interleave(per_class)
    return x, labels


def _distances(x: torch.Tensor) -> np.ndarray:
    z = (x / x.norm(dim=1, keepdim=True)).numpy().astype(np.float64)
    return np.sqrt(np.maximum(((z[:, None, :] - z[None, :, :]) ** 2).sum(-1), 0.0))


def test_pairwise_distances_match_numpy():
    x, _ = _batch()
    np.testing.assert_allclose(pairwise_distances(x).numpy(), _distances(x), atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_hard_matches_loops(seed):
    x, labels = _batch(seed)
    d, y, margin = _distances(x), labels.numpy(), 0.3
    losses = []
    for a in range(len(y)):
        pos = [d[a, p] for p in range(len(y)) if y[p] == y[a] and p != a]
        neg = [d[a, n] for n in range(len(y)) if y[n] != y[a]]
        losses.append(max(max(pos) - min(neg) + margin, 0.0))
    loss = TripletLoss(margin, "batch-hard")(x, labels)
    assert loss.item() == pytest.approx(np.mean(losses), abs=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_semi_hard_matches_loops(seed):
    x, labels = _batch(seed)
    d, y, margin = _distances(x), labels.numpy(), 0.5
    losses = []
    for a, p in itertools.permutations(range(len(y)), 2):
        if y[a] != y[p]:
            continue
        negatives = [d[a, n] for n in range(len(y)) if y[n] != y[a]]
        farther = [v for v in negatives if v > d[a, p]]
        chosen = min(farther) if farther else max(negatives)
        losses.append(max(d[a, p] - chosen + margin, 0.0))
    loss = TripletLoss(margin, "semi-hard")(x, labels)
    assert loss.item() == pytest.approx(np.mean(losses), abs=1e-5)


def test_loss_is_zero_when_classes_are_separated_and_gradients_are_finite():
    centres = torch.eye(4)
    x = centres.repeat_interleave(3, dim=0) + 0.001 * torch.randn(12, 4)
    labels = torch.arange(4).repeat_interleave(3)
    for mining in ("batch-hard", "semi-hard"):
        assert TripletLoss(0.2, mining)(x, labels).item() == pytest.approx(0.0, abs=1e-6)
    x = torch.cat([torch.ones(2, 4), torch.randn(2, 4)]).requires_grad_()
    TripletLoss(0.2)(x, torch.tensor([0, 0, 1, 1])).backward()
    assert torch.isfinite(x.grad).all()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="mining"):
        TripletLoss(0.2, "hardest")
    with pytest.raises(ValueError, match="margin"):
        TripletLoss(0.0)
