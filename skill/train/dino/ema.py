"""The exponential moving average that makes DINO's teacher out of its student.

Caron et al., ICCV 2021 ("momentum encoder", after He et al., MoCo, CVPR 2020).

Example:
    >>> teacher = copy.deepcopy(student).requires_grad_(False)
    >>> update_teacher(student, teacher, momentum=0.996)  # after each optimizer step
"""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def update_teacher(student: nn.Module, teacher: nn.Module, momentum: float) -> None:
    """Sets each teacher parameter to ``momentum * teacher + (1 - momentum) * student``.

    Args:
        student: The trained network.
        teacher: A copy with the same parameter names and shapes.
        momentum: In [0, 1]; 1 keeps the teacher, 0 copies the student. Typical 0.99-0.9995
            (scheduled towards 1).
    """
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")
    student_params = dict(student.named_parameters())
    for name, teacher_param in teacher.named_parameters():
        teacher_param.mul_(momentum).add_(student_params[name].detach(), alpha=1.0 - momentum)
