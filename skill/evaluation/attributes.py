"""Multi-label attribute metrics: per-label ROC AUC and average precision, and their means.

Each label is scored over the photos where it is known (see :mod:`skill.attributes.labels`);
a label needs at least one positive and one negative known photo to have an AUC or an AP.

- **AUC**: the probability that a random positive photo scores above a random negative one
  (ties count a half; the Mann-Whitney statistic). 0.5 is chance.
- **AP**: average precision, the area under the precision-recall curve as a step function
  over the distinct scores (scikit-learn's ``average_precision_score``). Chance is the share
  of positives, so AP is compared between models on the same photos, not between labels.

Example:
    >>> report = attribute_metrics(probabilities, matrix)
    >>> report.mean_auc, report.per_label.head()
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def roc_auc(scores: np.ndarray, targets: np.ndarray) -> float:
    """ROC AUC of one label; NaN without both classes.

    Args:
        scores: Shape (n,), higher means more likely positive.
        targets: Shape (n,), 1 for positive, 0 for negative.
    """
    scores, targets = np.asarray(scores, np.float64), np.asarray(targets) > 0.5
    positives, negatives = int(targets.sum()), int((~targets).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(scores)  # ties get their average rank
    u = ranks[targets].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Average precision of one label; NaN without a positive (or without a negative).

    Args:
        scores: Shape (n,).
        targets: Shape (n,), 1 for positive.
    """
    scores, targets = np.asarray(scores, np.float64), np.asarray(targets) > 0.5
    positives = int(targets.sum())
    if positives == 0 or positives == len(targets):
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    scores, targets = scores[order], targets[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores) != 0), len(scores) - 1]
    true_positives = np.cumsum(targets)[last_of_tie]
    predicted = last_of_tie + 1
    precision = true_positives / predicted
    recall = true_positives / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


@dataclass
class AttributeReport:
    """Metrics of a model on labelled photos.

    Attributes:
        per_label: ``label, auc, ap, positives, known`` per label (NaN where not measurable).
        mean_auc: Mean AUC over the measurable labels.
        mean_ap: Mean AP over the same labels.
    """

    per_label: pd.DataFrame
    mean_auc: float
    mean_ap: float

    @property
    def measured(self) -> list[str]:
        """The labels with both a positive and a negative known photo."""
        return self.per_label.dropna(subset=["auc"])["label"].tolist()

    def to_dict(self, digits: int = 4) -> dict:
        """JSON-ready: ``mean_auc``, ``mean_ap``, ``labels`` (measured), ``per_label``."""
        per_label = {
            row.label: {
                "auc": None if np.isnan(row.auc) else round(float(row.auc), digits),
                "ap": None if np.isnan(row.ap) else round(float(row.ap), digits),
                "positives": int(row.positives),
                "known": int(row.known),
            }
            for row in self.per_label.itertuples()
        }
        return {
            "mean_auc": _round(self.mean_auc, digits),
            "mean_ap": _round(self.mean_ap, digits),
            "labels": self.measured,
            "per_label": per_label,
        }


def attribute_metrics(
    probabilities: np.ndarray, values: np.ndarray, known: np.ndarray, labels: list[str]
) -> AttributeReport:
    """Per-label AUC and AP over the known entries, and their means.

    Args:
        probabilities: Shape (n, labels), the model's scores.
        values: Shape (n, labels), 1 where the photo has the label.
        known: Shape (n, labels), bool.
        labels: Label names.

    Returns:
        An :class:`AttributeReport`.
    """
    probabilities = np.asarray(probabilities, np.float64)
    if not probabilities.shape == np.shape(values) == np.shape(known):
        raise ValueError("probabilities, values and known must have the same shape")
    if probabilities.shape[1] != len(labels):
        raise ValueError(f"{probabilities.shape[1]} columns for {len(labels)} labels")
    rows = []
    for j, label in enumerate(labels):
        mask = np.asarray(known[:, j], bool)
        scores, targets = probabilities[mask, j], np.asarray(values)[mask, j]
        rows.append(
            {
                "label": label,
                "auc": roc_auc(scores, targets),
                "ap": average_precision(scores, targets),
                "positives": int((targets > 0.5).sum()),
                "known": int(mask.sum()),
            }
        )
    table = pd.DataFrame(rows, columns=["label", "auc", "ap", "positives", "known"])
    measured = table.dropna(subset=["auc"])
    mean_auc = float(measured["auc"].mean()) if len(measured) else float("nan")
    mean_ap = float(measured["ap"].mean()) if len(measured) else float("nan")
    return AttributeReport(table, mean_auc, mean_ap)


def _round(value: float, digits: int) -> float | None:
    return None if np.isnan(value) else round(float(value), digits)
