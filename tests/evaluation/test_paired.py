"""Tests of skill.evaluation.paired against counts and p-values worked out by hand."""

import pytest

from skill.evaluation.paired import mcnemar_exact, paired_hits


def test_the_counts_split_the_queries():
    a = [True, True, False, True, False, True]
    b = [True, False, False, False, True, True]
    r = paired_hits(a, b)
    assert (r["queries"], r["hits_a"], r["hits_b"]) == (6, 4, 3)
    assert (r["both"], r["only_a"], r["only_b"]) == (2, 2, 1)
    # 3 discordant queries split 2 to 1: P(X <= 1) = (1 + 3) / 8, two-sided 1.0.
    assert r["p_value"] == 1.0


@pytest.mark.parametrize(
    "only_a, only_b, expected",
    [
        (10, 0, 2 / 2**10),  # every discordant query favours A: 2 x (1/2)^10
        (0, 10, 2 / 2**10),  # the test is symmetric
        (5, 5, 1.0),
        (7, 2, 2 * (1 + 9 + 36) / 2**9),  # P(X <= 2) for n = 9, doubled
        (0, 0, 1.0),  # no discordant query: no evidence either way
    ],
)
def test_exact_mcnemar_by_hand(only_a, only_b, expected):
    assert mcnemar_exact(only_a, only_b) == pytest.approx(expected)


def test_hits_of_other_queries_are_refused():
    with pytest.raises(ValueError, match="same queries"):
        paired_hits([True, False], [True])
