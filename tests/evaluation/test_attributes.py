"""Tests of skill.evaluation.attributes: AUC and AP against scikit-learn and brute force."""

import itertools

import numpy as np
import pytest

from skill.evaluation.attributes import attribute_metrics, average_precision, roc_auc


def _brute_auc(scores, targets):
    pairs = [
        1.0 if p > n else 0.5 if p == n else 0.0
        for p, n in itertools.product(scores[targets == 1], scores[targets == 0])
    ]
    return float(np.mean(pairs))


@pytest.mark.parametrize("seed", range(5))
def test_auc_and_ap_match_references_with_ties(seed):
    from sklearn.metrics import average_precision_score, roc_auc_score

    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, 60)
    targets[:2] = [0, 1]
    scores = rng.integers(0, 8, 60) / 8.0 + 0.2 * targets  # many ties
    assert roc_auc(scores, targets) == pytest.approx(_brute_auc(scores, targets))
    assert roc_auc(scores, targets) == pytest.approx(roc_auc_score(targets, scores))
    assert average_precision(scores, targets) == pytest.approx(
        average_precision_score(targets, scores)
    )


def test_one_class_gives_nan():
    assert np.isnan(roc_auc([0.1, 0.2], [1, 1])) and np.isnan(average_precision([0.1], [0]))


def test_metrics_skip_unknown_entries_and_unmeasurable_labels():
    probabilities = np.array([[0.9, 0.5], [0.1, 0.4], [0.8, 0.3], [0.2, 0.9]])
    values = np.array([[1, 1], [0, 1], [0, 1], [1, 0]], np.float32)
    known = np.array([[1, 1], [1, 1], [1, 1], [0, 0]], bool)  # the last row's labels unknown
    report = attribute_metrics(probabilities, values, known, ["a", "b"])
    assert report.measured == ["a"]  # label b has no known negative
    assert report.per_label["auc"].iloc[0] == pytest.approx(1.0)  # 0.2 (positive) not counted
    assert report.mean_auc == pytest.approx(1.0)
    payload = report.to_dict()
    assert payload["labels"] == ["a"] and payload["per_label"]["b"]["auc"] is None
    assert set(payload) == {"mean_auc", "mean_ap", "labels", "per_label"}
