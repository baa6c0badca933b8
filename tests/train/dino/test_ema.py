"""The teacher's EMA update."""

import copy

import pytest
import torch
from torch import nn

from skill.train.dino.ema import update_teacher


def test_update_is_the_moving_average():
    torch.manual_seed(0)
    student = nn.Linear(4, 3)
    teacher = copy.deepcopy(student)
    with torch.no_grad():
        for p in student.parameters():
            p.add_(1.0)
    before = [p.clone() for p in teacher.parameters()]
    update_teacher(student, teacher, momentum=0.9)
    for old, new, s in zip(before, teacher.parameters(), student.parameters(), strict=True):
        assert torch.allclose(new, 0.9 * old + 0.1 * s)


def test_momentum_one_keeps_and_zero_copies():
    torch.manual_seed(0)
    student, teacher = nn.Linear(4, 3), nn.Linear(4, 3)
    kept = [p.clone() for p in teacher.parameters()]
    update_teacher(student, teacher, 1.0)
    assert all(torch.equal(a, b) for a, b in zip(kept, teacher.parameters(), strict=True))
    update_teacher(student, teacher, 0.0)
    assert all(
        torch.equal(a, b) for a, b in zip(student.parameters(), teacher.parameters(), strict=True)
    )
    with pytest.raises(ValueError, match="momentum"):
        update_teacher(student, teacher, 1.5)
