"""Tests of skill.evaluation.splits: validation, tune and fit designs never overlap."""

import pandas as pd
import pytest

from skill.evaluation.splits import (
    describe_run_split,
    read_run_split,
    read_split,
    split_designs,
    split_tune,
)
from tests.shapes import write_articles_catalog


def _designs(frame: pd.DataFrame) -> set:
    return set(frame["design_id"])


def test_split_designs_is_disjoint_and_seeded():
    designs = [f"d{i // 3}" for i in range(300)]
    train, val = split_designs(designs, 0.2, seed=0)
    assert not {designs[i] for i in train} & {designs[i] for i in val}
    assert len({designs[i] for i in val}) == 20
    again = split_designs(designs, 0.2, seed=0)
    assert (train == again[0]).all() and (val == again[1]).all()
    with pytest.raises(ValueError):
        split_designs(designs, 1.0)


def test_run_split_holds_tune_designs_out_of_training(tmp_path):
    write_articles_catalog(tmp_path, designs=50)
    train, val = read_split(tmp_path)
    fit, tune = split_tune(train)
    assert _designs(fit) | _designs(tune) == _designs(train)
    assert not _designs(fit) & _designs(tune) and not _designs(train) & _designs(val)
    assert len(_designs(tune)) == 8  # 20 % of the 40 training designs
    trained, evaluated = read_run_split(tmp_path, tune_fraction=0.2)
    assert _designs(trained) == _designs(fit) and _designs(evaluated) == _designs(val)
    trained, evaluated = read_run_split(tmp_path, tune_fraction=0.2, evaluate_on="tune")
    assert _designs(evaluated) == _designs(tune)
    assert _designs(read_run_split(tmp_path)[0]) == _designs(train)
    with pytest.raises(ValueError, match="needs tune_fraction"):
        read_run_split(tmp_path, evaluate_on="tune")
    with pytest.raises(ValueError, match="evaluate_on"):
        read_run_split(tmp_path, evaluate_on="test")
    assert "held-out training designs" in describe_run_split(0.2, 0, 0.2, "tune")
    assert "without the tune designs" in describe_run_split(0.2, 0, 0.2, "val")
