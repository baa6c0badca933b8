"""Tests of skill.attributes.labels: label names, unknown groups, matching other CSVs."""

import numpy as np
import pandas as pd
import pytest

from skill.attributes.labels import (
    LabelColumns,
    choose_labels,
    display_name,
    group_of,
    label_matrix,
    row_labels,
)

FRAME = pd.DataFrame(
    {
        "graphical_appearance_name": ["Stripe", "Solid", "Unknown", "Stripe"],
        "product_type_name": ["T-shirt", "Dress", "Dress", ""],
        "garment_group_name": ["Jersey Basic", "Dresses Ladies", "Dresses Ladies", "Knitwear"],
        "detail_desc": ["Top with long sleeves.", "Dress with a hood.", "", "Jumper."],
    }
)
LABELS = ["pattern: Stripe", "pattern: Solid", "type: Dress", "sleeves: long", "hood"]


def test_label_matrix_marks_values_and_known_entries():
    matrix = label_matrix(FRAME, LABELS)
    np.testing.assert_array_equal(
        matrix.values,
        [[1, 0, 0, 1, 0], [0, 1, 1, 0, 1], [0, 0, 1, 0, 0], [1, 0, 0, 0, 0]],
    )
    np.testing.assert_array_equal(
        matrix.known,
        [
            [True, True, True, True, True],  # sleeves named: the group is known
            [True, True, True, False, True],  # no sleeve length named: unknown, not negative
            [False, False, True, False, False],  # Unknown pattern, no description
            [True, True, False, False, True],  # empty type; a description naming no sleeves
        ],
    )
    assert matrix.counts()["positives"].tolist() == [2, 1, 2, 1, 1]


def test_other_spellings_match_the_labels():
    other = pd.DataFrame({"print": ["stripes", "plain", "checks"], "kind": ["dress", "tee", "x"]})
    columns = LabelColumns(pattern="print", type="kind", garment=None, description=None)
    matrix = label_matrix(other, LABELS, columns)
    np.testing.assert_array_equal(matrix.values[:, :3], [[1, 0, 1], [0, 1, 0], [0, 0, 0]])
    assert matrix.known[:, :3].all() and not matrix.known[:, 3:].any()


def test_a_fit_column_gives_fit_and_leg_labels():
    labels, known = row_labels({"fit": "oversized"}, LabelColumns(fit="fit"))
    assert labels == {"fit: relaxed"} and known == {"fit"}
    labels, known = row_labels({"fit": "wide"}, LabelColumns(fit="fit"))
    assert labels == {"legs: wide"} and known == {"legs"}


def test_absent_columns_leave_their_groups_unknown():
    matrix = label_matrix(FRAME[["detail_desc"]], LABELS)
    assert not matrix.known[:, :3].any()


def test_choose_labels_needs_positives_in_both_parts():
    train = pd.concat([FRAME] * 20, ignore_index=True)
    chosen = choose_labels(train, FRAME, min_positives=3)
    assert chosen[:2] == ["pattern: Stripe", "pattern: Solid"]  # most frequent value first
    assert "type: T-shirt" in chosen and "garment: Knitwear" in chosen
    assert "type: Dress" in chosen and "hood" in chosen
    assert choose_labels(train, FRAME.iloc[:1], min_positives=3) == [
        "pattern: Stripe", "type: T-shirt", "garment: Jersey Basic", "sleeves: long",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "group", "shown"),
    [
        ("pattern: Stripe", "pattern", "Stripe"),
        ("sleeves: long", "sleeves", "long sleeves"),
        ("sleeves: sleeveless", "sleeves", "sleeveless"),
        ("neckline: round", "neckline", "round neck"),
        ("neckline: V-neck", "neckline", "V-neck"),
        ("hood", "hood", "hood"),
    ],
)
def test_names(label, group, shown):
    assert group_of(label) == group and display_name(label) == shown


def test_a_product_group_without_sleeves_makes_them_known_negatives():
    frame = pd.DataFrame(
        {
            "product_group_name": ["Garment Lower body", "Garment Upper body", "Unknown", ""],
            "detail_desc": ["Jeans with wide legs.", "Jumper in a fine knit.", "Top.", "Top."],
        }
    )
    matrix = label_matrix(frame, ["sleeves: long", "legs: wide"])
    np.testing.assert_array_equal(matrix.values, [[0, 1], [0, 0], [0, 0], [0, 0]])
    # trousers: no sleeves (known); a jumper: legs do not apply, its sleeves are unnamed
    np.testing.assert_array_equal(matrix.known, [[True, True], [False, True], [False, False],
                                                 [False, False]])  # fmt: skip
