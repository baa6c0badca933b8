"""DINO's self-distillation loss with centring and sharpening.

Caron et al., "Emerging Properties in Self-Supervised Vision Transformers", ICCV 2021. The
teacher's outputs on the global views are centred (a running mean is subtracted, which stops
one dimension from dominating) and sharpened (a low temperature), and the student learns to
predict them from every other view (cross-entropy between the softmaxes). Centring and
sharpening pull in opposite directions and together avoid collapse without negatives.

Example:
    >>> loss_fn = DINOLoss(out_dim=4096)
    >>> loss = loss_fn(teacher_out, student_out, teacher_temp=0.04)  # updates the centre
    >>> loss.backward()
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class DINOLoss(nn.Module):
    """Cross-entropy between the centred, sharpened teacher and the student, over view pairs.

    Args:
        out_dim: Size of the head's output (the number of prototypes). Typical 4096-65536.
        num_global: Views the teacher sees; they come first in the student's views too.
        student_temp: Student softmax temperature. Typical 0.1.
        center_momentum: Momentum of the running centre. Typical 0.9-0.99.
    """

    def __init__(
        self,
        out_dim: int,
        num_global: int = 2,
        student_temp: float = 0.1,
        center_momentum: float = 0.9,
    ) -> None:
        super().__init__()
        if not 0.0 <= center_momentum < 1.0:
            raise ValueError(f"center_momentum must be in [0, 1), got {center_momentum}")
        self.num_global = num_global
        self.student_temp = student_temp
        self.center_momentum = center_momentum
        self.register_buffer("center", torch.zeros(1, out_dim))

    def forward(
        self, teacher_out: torch.Tensor, student_out: torch.Tensor, teacher_temp: float
    ) -> torch.Tensor:
        """Computes the loss and updates the centre.

        Args:
            teacher_out: Shape (num_global * batch, out_dim): teacher logits on the global
                views, view-major (all of view 0, then all of view 1).
            student_out: Shape (num_views * batch, out_dim): student logits on every view,
                view-major, the global views first.
            teacher_temp: Teacher temperature (scheduled). Typical 0.04-0.07.

        Returns:
            The mean over (teacher view, other student view) pairs, a scalar.
        """
        teacher_views = teacher_out.float().chunk(self.num_global)
        student_views = student_out.float().chunk(student_out.shape[0] // teacher_views[0].shape[0])
        targets = [
            F.softmax((t - self.center) / teacher_temp, dim=-1).detach() for t in teacher_views
        ]
        log_probs = [F.log_softmax(s / self.student_temp, dim=-1) for s in student_views]
        total, pairs = 0.0, 0
        for i, target in enumerate(targets):
            for j, log_prob in enumerate(log_probs):
                if i == j:  # never predict a view from itself
                    continue
                total = total + torch.sum(-target * log_prob, dim=-1).mean()
                pairs += 1
        self.update_center(teacher_out)
        return total / pairs

    @torch.no_grad()
    def update_center(self, teacher_out: torch.Tensor) -> None:
        """Moves the centre towards the batch mean of the teacher's logits."""
        batch_center = teacher_out.float().mean(dim=0, keepdim=True)
        self.center.mul_(self.center_momentum).add_(batch_center, alpha=1 - self.center_momentum)
