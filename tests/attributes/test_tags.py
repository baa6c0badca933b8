"""Tests of skill.attributes.tags: facts above thresholds, one value per exclusive group."""

import numpy as np

from skill.attributes.tags import fact_matrix, photo_tags

LABELS = ["pattern: Stripe", "pattern: Solid", "hood", "pockets", "sleeves: long"]
DISPLAY = ["Stripe", "Solid", "hood", "pockets", "long sleeves"]
GROUPS = ["pattern", "pattern", "hood", "pockets", "sleeves"]
THRESHOLDS = [0.7, 0.6, 0.8, None, 0.9]


def test_fact_matrix_uses_each_labels_threshold_and_never_facts_without_one():
    probabilities = np.array([[0.71, 0.59, 0.8, 0.99, np.nan]])
    np.testing.assert_array_equal(
        fact_matrix(probabilities, THRESHOLDS), [[True, False, True, False, False]]
    )


def test_tags_show_facts_first_then_likely_with_their_probability():
    tags = photo_tags(np.array([0.75, 0.65, 0.85, 0.95, 0.55]), LABELS, DISPLAY, GROUPS, THRESHOLDS)
    assert [t.text for t in tags] == ["hood", "Stripe", "likely pockets (95 %)",
                                      "likely long sleeves (55 %)"]  # fmt: skip
    assert "Solid" not in {t.display for t in tags}  # its group already shows Stripe


def test_nothing_below_the_likely_bar_is_shown():
    assert (
        photo_tags(np.array([0.2, 0.1, 0.3, 0.4, 0.49]), LABELS, DISPLAY, GROUPS, THRESHOLDS) == []
    )
