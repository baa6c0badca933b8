"""Tone of colour names, pair kinds and hit@1 per kind against a hand-counted example."""

import numpy as np
import pytest

from skill.evaluation.tone_pairs import colour_tone, hit1_by_tone_pair, pair_kind


@pytest.mark.parametrize(
    ("name", "tone"),
    [
        ("Black", "dark"),
        ("Dark Blue", "dark"),
        ("Off White", "light"),
        ("Light Pink", "light"),
        ("Red", "mid"),
        ("Blackberry", "mid"),  # a word match, not a substring
    ],
)
def test_colour_tone(name, tone):
    assert colour_tone(name) == tone


def test_pair_kind():
    assert pair_kind("Black", ["White"]) == "dark-light"
    assert pair_kind("Light Beige", ["Dark Grey", "Black"]) == "dark-light"
    assert pair_kind("Black", ["Dark Red"]) == "same tone"
    assert pair_kind("Black", ["White", "Red"]) == "other"
    assert pair_kind("Red", ["Blue"]) == "same tone"


def test_hit1_by_tone_pair_counts_by_hand():
    # Design A: black and white, each the other's nearest; design B: red and blue, likewise.
    e = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.2, 1.0]])
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    result = hit1_by_tone_pair(e, ["A", "A", "B", "B"], ["Black", "White", "Red", "Blue"])
    assert result["dark-light"] == {"hit@1": 1.0, "queries": 2}
    assert result["same tone"] == {"hit@1": 1.0, "queries": 2}
    assert np.isnan(result["other"]["hit@1"]) and result["other"]["queries"] == 0


def test_dark_light_misses_are_counted():
    # Black's nearest photo is red, not its white colourway.
    e = np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1], [0.8, 0.3]])
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    result = hit1_by_tone_pair(e, ["A", "A", "B", "B"], ["Black", "White", "Red", "Blue"])
    assert result["dark-light"] == {"hit@1": 0.0, "queries": 2}
