"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR, for several views.

Chen et al., "A Simple Framework for Contrastive Learning of Visual Representations", ICML
2020. Every view of a photo is a positive of every other view of that photo; all views of the
other photos in the batch are negatives. For an anchor view ``i`` with positives ``P(i)``::

    loss_i = - mean_{p in P(i)} log( exp(s_ip / t) / sum_{k != i} exp(s_ik / t) )

with ``s`` the cosine similarity and ``t`` the temperature. With two views per photo this is
SimCLR's loss exactly; with more it is the multi-positive form of SupCon (Khosla et al., 2020,
``L_out``) with a photo's views as its class.

Example:
    >>> loss_fn = NTXentLoss(temperature=0.1)
    >>> loss = loss_fn(head(view_features))  # view_features (batch, views, 1280)
    >>> loss.backward()
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class NTXentLoss(nn.Module):
    """NT-Xent over a batch of multi-view embeddings.

    Args:
        temperature: Softmax temperature. Lower is sharper. Typical 0.05-0.5 (SimCLR: 0.1-0.5).
    """

    def __init__(self, temperature: float = 0.1) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = temperature

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Mean loss over every view.

        Args:
            embeddings: Shape (batch, views, dim), views >= 2; normalised inside.
        """
        if embeddings.ndim != 3 or embeddings.shape[1] < 2:
            raise ValueError("embeddings must have shape (batch, views >= 2, dim)")
        batch, views, _ = embeddings.shape
        z = F.normalize(embeddings.reshape(batch * views, -1), dim=-1)
        logits = z @ z.T / self.temperature
        owner = torch.arange(batch, device=z.device).repeat_interleave(views)
        eye = torch.eye(batch * views, dtype=torch.bool, device=z.device)
        logits = logits.masked_fill(eye, float("-inf"))
        log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        positive = (owner[:, None] == owner[None, :]) & ~eye
        return -(log_prob.masked_fill(~positive, 0.0).sum(dim=1) / (views - 1)).mean()
