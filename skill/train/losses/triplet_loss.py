"""Triplet loss with online batch-hard or semi-hard mining, for colour-variant retrieval.

Images of one design (in any colour) should lie closer to each other than to any other design
by a margin: ``d(a, p) + margin <= d(a, n)``. Triplets are mined online inside a batch of
P designs x K colours (:class:`skill.train.variants.pk_sampler.PKSampler`):

- ``batch-hard`` (Hermans et al., "In Defense of the Triplet Loss for Person
  Re-Identification", 2017): per anchor, its farthest positive and nearest negative.
- ``semi-hard`` (Schroff et al., "FaceNet", CVPR 2015): per anchor-positive pair, the nearest
  negative that is still farther than the positive (``d(a, n) > d(a, p)``); when there is none,
  the farthest negative (as TensorFlow Addons' ``triplet_semihard_loss`` does).

Distances are Euclidean between L2-normalised embeddings, so they lie in [0, 2].

Example:
    >>> loss_fn = TripletLoss(margin=0.2, mining="batch-hard")
    >>> loss = loss_fn(head(features), design_ids)  # features (64, 1280), design_ids (64,)
    >>> loss.backward()
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

MINING = ("batch-hard", "semi-hard")


def pairwise_distances(embeddings: torch.Tensor) -> torch.Tensor:
    """Euclidean distances between L2-normalised rows. Shape (n, d) -> (n, n)."""
    x = F.normalize(embeddings, dim=-1)
    squared = (2.0 - 2.0 * x @ x.T).clamp_min(0.0)
    eye = torch.eye(len(x), dtype=torch.bool, device=x.device)
    squared = squared.masked_fill(eye, 0.0)  # rounding leaves ~1e-7 on the diagonal
    # sqrt has an infinite gradient at 0 (the diagonal); keep it finite
    return torch.sqrt(squared + 1e-12) * (squared > 0)


def label_masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(positive, negative)`` masks of shape (n, n): same label (not self), other label."""
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


def batch_hard_triplet_loss(
    distances: torch.Tensor, labels: torch.Tensor, margin: torch.Tensor | float
) -> torch.Tensor:
    """Batch-hard loss. ``margin`` is a number or a per-pair tensor of shape (n, n).

    With a per-pair margin the hardest negative of anchor ``a`` is the one that maximises
    ``margin[a, n] - d(a, n)``, i.e. the one violating its own margin most.
    """
    positive, negative = label_masks(labels)
    margin = torch.as_tensor(margin, dtype=distances.dtype, device=distances.device)
    margin = margin.expand_as(distances)
    hardest_positive = distances.masked_fill(~positive, float("-inf")).max(dim=1).values
    hardest_negative = (margin - distances).masked_fill(~negative, float("-inf")).max(dim=1).values
    valid = positive.any(dim=1) & negative.any(dim=1)
    if not valid.any():
        return distances.sum() * 0.0
    return F.relu(hardest_positive[valid] + hardest_negative[valid]).mean()


def semi_hard_triplet_loss(
    distances: torch.Tensor, labels: torch.Tensor, margin: float
) -> torch.Tensor:
    """Semi-hard loss averaged over every anchor-positive pair that has a negative."""
    positive, negative = label_masks(labels)
    d_ap = distances[:, :, None]  # (a, p, 1)
    d_an = distances[:, None, :]  # (a, 1, n)
    negatives = negative[:, None, :].expand(-1, len(labels), -1)
    farther = negatives & (d_an > d_ap)
    semi_hard = d_an.expand_as(farther).masked_fill(~farther, float("inf")).min(dim=2).values
    easiest = d_an.expand_as(farther).masked_fill(~negatives, float("-inf")).max(dim=2).values
    chosen = torch.where(farther.any(dim=2), semi_hard, easiest)
    pairs = positive & negative.any(dim=1, keepdim=True)
    if not pairs.any():
        return distances.sum() * 0.0
    return F.relu(distances[pairs] - chosen[pairs] + margin).mean()


class TripletLoss(nn.Module):
    """Triplet loss on a batch of embeddings with online mining.

    Args:
        margin: Required gap between positive and negative distances (unit-norm embeddings,
            distances in [0, 2]). Typical 0.1-0.5.
        mining: ``"batch-hard"`` or ``"semi-hard"``.
    """

    def __init__(self, margin: float = 0.2, mining: str = "batch-hard") -> None:
        super().__init__()
        if mining not in MINING:
            raise ValueError(f"mining must be one of {MINING}, got {mining!r}")
        if margin <= 0:
            raise ValueError(f"margin must be positive, got {margin}")
        self.margin = margin
        self.mining = mining

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean triplet loss.

        Args:
            embeddings: Shape (batch, dim); normalised inside.
            labels: Shape (batch,): design (class) id of each row.
        """
        distances = pairwise_distances(embeddings)
        if self.mining == "batch-hard":
            return batch_hard_triplet_loss(distances, labels, self.margin)
        return semi_hard_triplet_loss(distances, labels, self.margin)
