"""Per-label thresholds above which a predicted attribute is shown as a fact.

A probability of 0.7 means different things for "Solid" (seen in half the photos) and for
"lapels" (a few percent). Each label gets its own threshold, chosen on photos of designs the
model never trained on (a fifth of the *training* designs, held out; never the validation
designs): the lowest threshold at which the precision of the tags reaches a target, and
stays there for every higher threshold once at least ``min_predictions`` photos are tagged
(so one lucky photo at the top does not set it). A label that never reaches the target, or
has too few positive held-out photos to tell, gets no threshold: the product shows it only as
"likely", with its probability.

Example:
    >>> thresholds = precision_thresholds(probabilities, values, known, target=0.9)
    >>> tag_precision(probabilities_val, values_val, known_val, thresholds)
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def precision_threshold(
    scores: np.ndarray,
    targets: np.ndarray,
    target: float = 0.9,
    min_predictions: int = 5,
    min_positives: int = 8,
) -> float | None:
    """The lowest threshold whose tags reach ``target`` precision (see the module docstring).

    Args:
        scores: Shape (n,), probabilities of the known photos.
        targets: Shape (n,), 1 for positive.
        target: Precision wanted. Typical 0.8-0.95.
        min_predictions: Tags counted before precision must hold. Typical 3-10.
        min_positives: Fewer positive photos give no threshold. Typical 5-20.

    Returns:
        The threshold (tag when probability >= it), or ``None``.
    """
    scores, targets = np.asarray(scores, np.float64), np.asarray(targets) > 0.5
    if targets.sum() < min_positives:
        return None
    order = np.argsort(-scores, kind="stable")
    scores, targets = scores[order], targets[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores) != 0), len(scores) - 1]
    tagged = last_of_tie + 1
    precision = np.cumsum(targets)[last_of_tie] / tagged
    counted = tagged >= min_predictions
    if not counted.any():
        return None
    failing = counted & (precision < target)
    # Every cutoff from the first counted one down to the chosen one must hold the target.
    first_counted = int(np.argmax(counted))
    stop = int(np.argmax(failing)) if failing.any() else len(precision)
    if stop <= first_counted:
        return None
    return float(scores[last_of_tie[stop - 1]])


def precision_thresholds(
    probabilities: np.ndarray,
    values: np.ndarray,
    known: np.ndarray,
    target: float = 0.9,
    min_predictions: int = 5,
    min_positives: int = 8,
) -> list[float | None]:
    """:func:`precision_threshold` of every label over its known photos.

    Args:
        probabilities: Shape (n, labels).
        values: Shape (n, labels), 1 for positive.
        known: Shape (n, labels), bool.
        target: Precision wanted.
        min_predictions: See :func:`precision_threshold`.
        min_positives: See :func:`precision_threshold`.

    Returns:
        One threshold (or ``None``) per label.
    """
    return [
        precision_threshold(
            probabilities[known[:, j], j],
            values[known[:, j], j],
            target,
            min_predictions,
            min_positives,
        )
        for j in range(probabilities.shape[1])
    ]


def tag_precision(
    probabilities: np.ndarray,
    values: np.ndarray,
    known: np.ndarray,
    thresholds: list[float | None],
    labels: list[str],
) -> pd.DataFrame:
    """How the fact tags fare on other photos: tagged, correct and precision per label.

    Only known entries count (an unknown neckline is neither right nor wrong).

    Returns:
        ``label, threshold, tagged, correct, precision, recall`` per label with a threshold.
    """
    rows = []
    for j, threshold in enumerate(thresholds):
        if threshold is None:
            continue
        mask = known[:, j]
        tagged = probabilities[mask, j] >= threshold
        positive = values[mask, j] > 0.5
        correct = int((tagged & positive).sum())
        rows.append(
            {
                "label": labels[j],
                "threshold": threshold,
                "tagged": int(tagged.sum()),
                "correct": correct,
                "precision": correct / tagged.sum() if tagged.any() else float("nan"),
                "recall": correct / positive.sum() if positive.any() else float("nan"),
            }
        )
    columns = ["label", "threshold", "tagged", "correct", "precision", "recall"]
    return pd.DataFrame(rows, columns=columns)
