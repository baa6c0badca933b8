"""DINOLoss against a direct re-derivation of DINO's cross-entropy with centring."""

import numpy as np
import pytest
import torch

from skill.train.losses.dino_loss import DINOLoss


def _reference(teacher, student, center, teacher_temp, student_temp, num_global):
    """Loops over every (teacher view, student view) pair with numpy softmaxes."""
    t = teacher.numpy().astype(np.float64)
    s = student.numpy().astype(np.float64)
    batch = t.shape[0] // num_global
    num_views = s.shape[0] // batch

    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    losses = []
    for i in range(num_global):
        p = softmax((t[i * batch : (i + 1) * batch] - center) / teacher_temp)
        for j in range(num_views):
            if i == j:
                continue
            log_q = np.log(softmax(s[j * batch : (j + 1) * batch] / student_temp))
            losses.append(np.mean([-(p[b] * log_q[b]).sum() for b in range(batch)]))
    return float(np.mean(losses))


def test_loss_matches_reference_and_updates_center():
    torch.manual_seed(0)
    out_dim, batch = 16, 3
    teacher = torch.randn(2 * batch, out_dim)
    student = torch.randn(5 * batch, out_dim)
    loss_fn = DINOLoss(out_dim, num_global=2, student_temp=0.1, center_momentum=0.9)
    loss_fn.center.copy_(torch.randn(1, out_dim) * 0.1)
    center = loss_fn.center.clone()
    loss = loss_fn(teacher, student, teacher_temp=0.04)
    expected = _reference(teacher, student, center.numpy(), 0.04, 0.1, 2)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    new_center = 0.9 * center + 0.1 * teacher.mean(0, keepdim=True)
    assert torch.allclose(loss_fn.center, new_center, atol=1e-6)


def test_loss_gradient_flows_to_student_only():
    torch.manual_seed(1)
    teacher = torch.randn(4, 8, requires_grad=True)
    student = torch.randn(6, 8, requires_grad=True)
    DINOLoss(8)(teacher, student, 0.04).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_rejects_bad_center_momentum():
    with pytest.raises(ValueError, match="center_momentum"):
        DINOLoss(8, center_momentum=1.0)
