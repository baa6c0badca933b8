"""Tests of skill.evaluation.metrics on hand-made cases whose answers are worked out below."""

import math

import numpy as np
import pytest

from skill.evaluation.metrics import (
    average_precision,
    colour_variant_retrieval,
    first_hits,
    rank1_recovery,
    target_ranks,
)


def _at(*degrees: float) -> np.ndarray:
    radians = np.deg2rad(degrees)
    return np.stack([np.cos(radians), np.sin(radians)], axis=1).astype(np.float32)


# Five images on the unit circle, at 0, 20, 5, 10 and 90 degrees:
#   0: design A red     (query; target 1; image 2 is a same-colour second shot, left out)
#   1: design A blue    (query; targets 0 and 2)
#   2: design A red     (query; target 1; image 0 left out)
#   3: design B green   (single colour: a distractor, never a query)
#   4: design C red     (single colour: a distractor)
EMBEDDINGS = _at(0, 20, 5, 10, 90)
DESIGNS = ["A", "A", "A", "B", "C"]
COLOURS = ["red", "blue", "red", "green", "red"]


def test_target_ranks_by_hand():
    queries, ranks = target_ranks(EMBEDDINGS, DESIGNS, COLOURS)
    assert queries.tolist() == [0, 1, 2]
    # Query 0 (0 deg): image 3 (10 deg) beats target 1 (20 deg); image 2 is excluded.
    assert ranks[0].tolist() == [2]
    # Query 1 (20 deg): image 3 (10 deg away), then target 2 (15), then target 0 (20).
    assert ranks[1].tolist() == [2, 3]
    # Query 2 (5 deg): image 3 (5 deg away), then target 1 (15); image 0 is excluded.
    assert ranks[2].tolist() == [2]


def test_hit_at_k_and_map_by_hand():
    metrics = colour_variant_retrieval(EMBEDDINGS, DESIGNS, COLOURS, ks=(1, 2, 5))
    assert metrics["hit@1"] == 0.0
    assert metrics["hit@2"] == 1.0
    assert metrics["hit@5"] == 1.0
    ap = [1 / 2, (1 / 2 + 2 / 3) / 2, 1 / 2]
    assert metrics["mAP"] == pytest.approx(sum(ap) / 3)
    assert metrics["queries"] == 3
    assert metrics["gallery"] == 5


def test_altered_queries_search_the_unaltered_gallery_by_hand():
    # Each photo searches with a copy moved to 18 deg; the gallery stays where it was.
    altered = _at(18, 18, 18, 18, 18)
    queries, ranks = target_ranks(EMBEDDINGS, DESIGNS, COLOURS, query_embeddings=altered)
    assert queries.tolist() == [0, 1, 2]
    # Query 0 at 18 deg: target 1 (20, 2 deg away) first; its own photo (0) and 2 left out.
    assert ranks[0].tolist() == [1]
    # Query 1 at 18 deg: its own photo (20) left out; image 3 (10, 8 away), target 2 (5, 13
    # away), then target 0 (0, 18 away).
    assert ranks[1].tolist() == [2, 3]
    metrics = colour_variant_retrieval(EMBEDDINGS, DESIGNS, COLOURS, query_embeddings=altered)
    assert metrics["hit@1"] == pytest.approx(2 / 3)  # queries 0 and 2 find target 1 first
    with pytest.raises(ValueError, match="row for row"):
        target_ranks(EMBEDDINGS, DESIGNS, COLOURS, query_embeddings=altered[:3])


def test_first_hits_flag_each_query_and_average_to_hit_at_1():
    assert first_hits(EMBEDDINGS, DESIGNS, COLOURS).tolist() == [False, False, False]
    altered = _at(18, 18, 18, 18, 18)  # as above: queries 0 and 2 find target 1 first
    flags = first_hits(EMBEDDINGS, DESIGNS, COLOURS, query_embeddings=altered)
    assert flags.tolist() == [True, False, True]
    metrics = colour_variant_retrieval(EMBEDDINGS, DESIGNS, COLOURS, query_embeddings=altered)
    assert flags.mean() == metrics["hit@1"]


def test_same_colour_second_shot_never_counts():
    # Without the second shot (image 2), query 0's rank is unchanged: it was excluded anyway.
    keep = [0, 1, 3, 4]
    _, ranks = target_ranks(
        EMBEDDINGS[keep], [DESIGNS[i] for i in keep], [COLOURS[i] for i in keep]
    )
    assert ranks[0].tolist() == [2]


def test_ties_go_to_the_query():
    # q and t share design X in two colours; d (design Y) is the same vector as t.
    embeddings = np.asarray([[1, 0], [0.6, 0.8], [0.6, 0.8]], np.float32)
    metrics = colour_variant_retrieval(embeddings, ["X", "X", "Y"], ["red", "blue", "red"], ks=(1,))
    # q: t and d tie at 0.6, so t counts as rank 1. t: d (1.0) beats q (0.6), rank 2.
    assert metrics["hit@1"] == 0.5
    assert metrics["mAP"] == pytest.approx((1 + 0.5) / 2)


def test_no_query_gives_nan():
    metrics = colour_variant_retrieval(_at(0, 10), ["A", "B"], ["red", "red"])
    assert math.isnan(metrics["hit@1"]) and math.isnan(metrics["mAP"])
    assert metrics["queries"] == 0


def test_length_mismatch_is_refused():
    with pytest.raises(ValueError, match="same length"):
        target_ranks(_at(0, 10), ["A"], ["red", "blue"])


def test_average_precision_by_hand():
    assert average_precision(np.asarray([1, 3])) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert average_precision(np.asarray([3, 1])) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert math.isnan(average_precision(np.asarray([])))


def test_rank1_recovery_by_hand():
    gallery = _at(0, 45, 90)
    queries = _at(40, 5, 80)  # nearest: 1, 0, 2
    assert rank1_recovery(queries, gallery, np.asarray([1, 0, 0])) == pytest.approx(2 / 3)
    assert math.isnan(rank1_recovery(np.zeros((0, 2)), gallery, np.asarray([])))
