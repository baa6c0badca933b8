"""Tests of skill.evaluation.figures: rates of nested metrics, flat; counts left out."""

from skill.evaluation.figures import flat_numbers


def test_nested_rates_are_named_by_path():
    metrics = {"val": {"hit@1": 0.41, "design": {"mAP": 0.25}}, "hit@5": 1}
    assert flat_numbers(metrics) == {"val/hit@1": 0.41, "val/design/mAP": 0.25, "hit@5": 1.0}


def test_counts_timings_flags_and_text_are_left_out():
    metrics = {
        "queries": 0.5,  # a count key, whatever its value
        "val": {"gallery": 0.2, "seconds": 0.9, "hit@1": 0.3},
        "images": 812,  # above 1.0: not a rate
        "ok": True,
        "note": "seed 1",
        "loss": None,
    }
    assert flat_numbers(metrics) == {"val/hit@1": 0.3}


def test_nothing_gives_nothing():
    assert flat_numbers(None) == {}
    assert flat_numbers({}) == {}
