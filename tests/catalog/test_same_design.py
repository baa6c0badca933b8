"""Tests of skill.catalog.same_design against straightforward re-derivations."""

import json
import math

import numpy as np
import pytest

from skill.catalog.answer_features import FEATURES, LeaveOneOut, leave_one_out, ranking_features
from skill.catalog.same_design import (
    SameDesignRule,
    acceptance_threshold,
    answer_metrics,
    expected_calibration_error,
    fit_rule,
)


def _unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _gallery(designs=30, colours=3, dim=16, noise=0.6, seed=0):
    """Designs as random directions, each colour a noisy copy: some designs get confused."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(designs, dim))
    x = np.repeat(centres, colours, axis=0) + noise * rng.normal(size=(designs * colours, dim))
    keys = np.repeat([f"d{i}" for i in range(designs)], colours)
    return _unit(x), keys


def test_ranking_features_read_the_top_of_the_ranking():
    designs = np.array([0.9, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.1])
    features = ranking_features(designs, np.array([0.9, 0.8, 0.3]))
    np.testing.assert_allclose(features, [0.9, 0.2, 0.8 - 0.7, 0.9 - 0.2])
    # One photo of the best design: its other colour stands at the second design's score.
    assert ranking_features(designs[:3], np.array([0.9]))[FEATURES.index("agree")] == 0.0
    # Fewer than ten designs: the last one stands in for the tenth.
    assert ranking_features(designs[:3], np.array([0.9]))[
        FEATURES.index("margin")
    ] == pytest.approx(0.3)
    with pytest.raises(ValueError):
        ranking_features(np.array([]), np.array([]))


def test_leave_one_out_matches_a_brute_force_search():
    x, keys = _gallery(designs=12, colours=3)
    keys[-1] = "lonely"  # a design with one photo: never answerable
    queries = leave_one_out(x, keys, max_queries=None, chunk_size=5)
    for q, row in enumerate(queries.rows):
        scores = x[row] @ x.T
        scores[row] = -np.inf
        best = {k: scores[keys == k].max() for k in np.unique(keys)}
        ranked = sorted(best, key=lambda k: -best[k])
        ranked = [k for k in ranked if np.isfinite(best[k])]
        photos = np.sort(scores[keys == ranked[0]])[::-1]
        photos = photos[np.isfinite(photos)]
        expected = ranking_features(np.array([best[k] for k in ranked]), photos)
        np.testing.assert_allclose(queries.features[q], expected, atol=1e-5)
        assert queries.correct[q] == (ranked[0] == keys[row])
        assert queries.answerable[q] == ((keys == keys[row]).sum() > 1)
    assert not queries.answerable[-1] and not queries.correct[-1]


def test_absent_queries_are_searched_without_their_whole_design():
    x, keys = _gallery(designs=12, colours=3)
    queries = leave_one_out(x, keys, max_queries=None, chunk_size=5, absent_share=0.5)
    assert 0 < queries.absent.sum() < len(queries.rows)
    for q in np.flatnonzero(queries.absent):
        row = queries.rows[q]
        scores = x[row] @ x.T
        scores[keys == keys[row]] = -np.inf
        best = {k: scores[keys == k].max() for k in np.unique(keys) if k != keys[row]}
        ranked = sorted(best, key=lambda k: -best[k])
        photos = np.sort(scores[keys == ranked[0]])[::-1]
        expected = ranking_features(np.array([best[k] for k in ranked]), photos)
        np.testing.assert_allclose(queries.features[q], expected, atol=1e-5)
        assert not queries.correct[q] and not queries.answerable[q]
    plain = leave_one_out(x, keys, max_queries=None, chunk_size=5)
    present = ~queries.absent
    np.testing.assert_allclose(queries.features[present], plain.features[present], atol=1e-6)


def test_a_rule_fitted_with_absent_designs_answers_fewer_strangers():
    """Photos of designs the gallery lacks: the rule fitted on them gives them fewer answers."""
    x, keys = _gallery(designs=200, colours=3, noise=0.5, seed=3)
    strangers, _ = _gallery(designs=100, colours=1, noise=0.5, seed=4)
    closed = fit_rule(leave_one_out(x, keys, max_queries=None))
    open_set = fit_rule(leave_one_out(x, keys, max_queries=None, absent_share=0.5))

    def answered(rule):
        features = []
        for s in strangers:
            scores = x @ s
            best = {k: scores[keys == k].max() for k in np.unique(keys)}
            ranked = sorted(best, key=lambda k: -best[k])
            photos = np.sort(scores[keys == ranked[0]])[::-1]
            features.append(ranking_features(np.array([best[k] for k in ranked]), photos))
        return float((rule.probability(np.array(features)) >= rule.accept).mean())

    assert answered(open_set) < answered(closed)
    assert answered(open_set) <= 0.2


def test_leave_one_out_samples_queries_with_a_seed():
    x, keys = _gallery()
    a = leave_one_out(x, keys, max_queries=20, seed=1)
    b = leave_one_out(x, keys, max_queries=20, seed=1)
    assert len(a.rows) == 20 and np.array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.features, b.features)


def _queries(n=2000, seed=0):
    """Queries whose best design is right with probability sigmoid(8 * (gap - 0.1))."""
    rng = np.random.default_rng(seed)
    gap = rng.uniform(0, 0.3, n)
    features = np.column_stack([0.8 + rng.normal(0, 0.05, n), gap, gap / 2, gap + 0.1])
    correct = rng.random(n) < 1 / (1 + np.exp(-30 * (gap - 0.1)))
    return LeaveOneOut(np.arange(n), features, correct, np.ones(n, dtype=bool))


def test_fit_rule_is_calibrated_and_reaches_its_precision():
    fit, held_out = _queries(seed=0), _queries(seed=1)
    rule = fit_rule(fit, target_precision=0.9, source="synthetic")
    assert rule.fitted["source"] == "synthetic"
    assert rule.fitted["precision"] >= 0.9
    assert rule.weights[FEATURES.index("gap")] > 0  # a larger gap means a surer answer
    figures = answer_metrics(rule, held_out)
    assert figures["precision"] > 0.85 and figures["recall"] > 0.3
    assert figures["ece"] < 0.05


def test_fit_rule_refuses_one_sided_data():
    queries = _queries()
    queries.correct[:] = True
    with pytest.raises(ValueError, match="right and wrong"):
        fit_rule(queries)


def test_acceptance_threshold_by_hand():
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    right = np.array([True, True, False, True, False])
    # Answering the top 2: 2/2; top 4: 3/4 = 0.75; top 3: 2/3.
    assert acceptance_threshold(p, right, 0.75, min_answers=1) == 0.6
    assert acceptance_threshold(p, right, 0.9, min_answers=1) == 0.8
    assert acceptance_threshold(p, right, 0.9, min_answers=3) == 1.0  # too few answers
    # Tied probabilities are answered together.
    assert (
        acceptance_threshold(np.array([0.9, 0.9, 0.5]), np.array([True, False, True]), 0.9, 1)
        == 1.0
    )


def test_answer_metrics_by_hand():
    rule = SameDesignRule((0, 0, 0, 0), (1, 1, 1, 1), (1, 0, 0, 0), 0.0, accept=0.5)
    features = np.zeros((4, 4))
    features[:, 0] = [3, 2, -1, 5]  # probabilities > 0.5 for rows 0, 1, 3
    queries = LeaveOneOut(
        np.arange(4),
        features,
        correct=np.array([True, False, True, False]),
        answerable=np.array([True, True, True, False]),  # row 3's design has no other photo
    )
    figures = answer_metrics(rule, queries)
    assert figures["precision"] == pytest.approx(1 / 3)  # rows 0, 1, 3 answered; only 0 right
    assert figures["recall"] == pytest.approx(1 / 3)  # of 3 answerable, one answered right
    assert figures["answered"] == pytest.approx(0.75)


def test_expected_calibration_error():
    p = np.array([0.05, 0.05, 0.95, 0.95])
    assert expected_calibration_error(p, np.array([0, 0, 1, 1])) == pytest.approx(0.05)
    assert expected_calibration_error(np.full(10, 0.5), np.r_[np.ones(5), np.zeros(5)]) == 0.0
    assert math.isnan(expected_calibration_error(np.array([]), np.array([])))


def test_rule_round_trips_through_json_and_refuses_bad_records():
    rule = fit_rule(_queries(), source="synthetic")
    again = SameDesignRule.from_dict(json.loads(json.dumps(rule.to_dict())))
    assert again == rule
    record = rule.to_dict()
    for key, bad in [("scale", [1, 1, 0, 1]), ("bias", float("nan")), ("accept", 2.0),
                     ("weights", [1, 2]), ("features", ["top"]), ("version", 99)]:  # fmt: skip
        with pytest.raises(ValueError):
            SameDesignRule.from_dict({**record, key: bad})
    with pytest.raises(ValueError):
        SameDesignRule.from_dict([])


def test_a_catalog_refits_its_rule_where_it_has_enough_labelled_designs():
    import pandas as pd

    from skill.catalog.same_design import catalog_rule

    x, keys = _gallery(designs=60, colours=3, noise=0.9)
    items = pd.DataFrame({"item_id": [str(i) for i in range(len(keys))], "design_id": keys})
    shipped = fit_rule(_queries(), source="shipped").to_dict()
    record = catalog_rule(x, items, shipped, min_queries=100)
    assert record["fitted"]["source"].startswith("this catalog: 180 photos")
    assert "with their whole design left out" in record["fitted"]["source"]
    assert 0 < record["fitted"]["hit@1"] < 1
    SameDesignRule.from_dict(record)
    # Too few labelled photos: the encoder's shipped rule; no rule at all: none.
    unlabelled = items.assign(design_id=np.where(np.arange(len(items)) < 30, keys, ""))
    assert catalog_rule(x, unlabelled, shipped, min_queries=100)["fitted"]["source"] == "shipped"
    assert catalog_rule(x, unlabelled, None, min_queries=100) is None
    with pytest.raises(ValueError):
        catalog_rule(x, unlabelled, {**shipped, "bias": "high"}, min_queries=100)


def test_describe_rule_in_plain_words():
    from skill.catalog.same_design import describe_rule

    rule = fit_rule(_queries(), target_precision=0.9, source="synthetic queries")
    text = describe_rule(rule.to_dict())
    assert "Fitted on synthetic queries" in text and "of its answers were right" in text
    assert "%" in text


def test_open_set_metrics_count_answers_to_absent_designs_as_wrong():
    from skill.catalog.same_design import open_set_metrics

    x, keys = _gallery(designs=200, colours=3, noise=0.5, seed=3)
    rule = fit_rule(leave_one_out(x, keys, max_queries=None))
    closed = answer_metrics(rule, leave_one_out(x, keys, max_queries=None))
    opened = open_set_metrics(rule, x, keys)
    queries = leave_one_out(x, keys, max_queries=None, absent_share=0.5)
    answered = rule.probability(queries.features) >= rule.accept
    assert opened["answered_absent"] == pytest.approx(answered[queries.absent].mean())
    assert opened["answered_absent"] > 0.5  # a closed-set rule answers most strangers
    assert opened["precision"] < closed["precision"] - 0.2
    assert opened["queries"] == closed["queries"] == len(x)
