"""Tests of skill.train.attributes.calibration: thresholds that hold a precision target."""

import numpy as np

from skill.train.attributes.calibration import (
    precision_threshold,
    precision_thresholds,
    tag_precision,
)


def test_the_threshold_is_the_lowest_that_keeps_the_precision():
    scores = np.array([0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5, 0.4, 0.3])
    targets = np.array([1, 1, 1, 1, 1, 1, 0, 1, 0, 0])
    # Top 6 all right; the 7th is wrong (precision 6/7 < 0.9): the threshold stops at 0.7.
    assert precision_threshold(scores, targets, 0.9, min_predictions=3, min_positives=3) == 0.7
    assert precision_threshold(scores, targets, 0.8, min_predictions=3, min_positives=3) == 0.5


def test_a_wrong_top_prediction_before_min_predictions_is_tolerated_but_then_must_hold():
    scores = np.array([0.99, 0.9, 0.8, 0.7, 0.6, 0.5])
    targets = np.array([0, 1, 1, 1, 1, 0])
    assert precision_threshold(scores, targets, 0.75, min_predictions=4, min_positives=2) == 0.6
    assert precision_threshold(scores, targets, 0.9, min_predictions=4, min_positives=2) is None


def test_too_few_positives_give_no_threshold():
    assert precision_threshold(np.array([0.9, 0.1]), np.array([1, 0]), min_positives=5) is None


def test_thresholds_per_label_use_only_known_photos_and_precision_is_reported():
    probabilities = np.array([[0.9, 0.9], [0.8, 0.8], [0.7, 0.7], [0.6, 0.6]])
    values = np.array([[1, 1], [1, 0], [1, 0], [0, 0]], np.float32)
    known = np.array([[1, 1], [1, 0], [1, 0], [1, 1]], bool)
    thresholds = precision_thresholds(probabilities, values, known, 1.0, 1, 1)
    assert thresholds == [0.7, 0.9]
    report = tag_precision(probabilities, values, known, thresholds, ["a", "b"])
    assert report["precision"].tolist() == [1.0, 1.0] and report["tagged"].tolist() == [3, 1]
