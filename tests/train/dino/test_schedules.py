"""Cosine and teacher-temperature schedules."""

import numpy as np
import pytest

from skill.train.dino.schedules import cosine_schedule, teacher_temp_schedule


def test_cosine_warmup_then_decay():
    values = cosine_schedule(1.0, 0.1, total_steps=20, warmup_steps=5)
    assert len(values) == 20
    assert values[0] == 0.0 and values[5] == pytest.approx(1.0)
    assert values[-1] == pytest.approx(0.1)
    assert np.all(np.diff(values[5:]) <= 1e-12)


def test_momentum_schedule_rises_to_one():
    values = cosine_schedule(0.99, 1.0, total_steps=10)
    assert values[0] == pytest.approx(0.99) and values[-1] == pytest.approx(1.0)


def test_teacher_temp_warmup():
    values = teacher_temp_schedule(0.04, 0.07, total_steps=10, warmup_steps=4)
    assert values[0] == pytest.approx(0.04) and values[3] == pytest.approx(0.07)
    assert np.all(values[4:] == 0.07)


def test_rejects_bad_lengths():
    with pytest.raises(ValueError):
        cosine_schedule(1.0, 0.0, total_steps=5, warmup_steps=6)
