"""The same-design answer: is a search's best design the query's own design, and how sure?

For a photo the catalog has never seen, a merchandiser asks "do we have this design, and in
which colours?". A cosine score alone cannot answer it: its scale differs between encoders (a
whitened space scores a true colour variant 0.2, another encoder 0.8), and near-identical
basics of different designs score as high as a true match. The rule reads the top of the
design ranking instead (each design scored by its best photo):

========  =====================================================================
feature   what it measures
========  =====================================================================
top       the best design's score
gap       how far the best design stands above the second
agree     how well the best design's other photos (its other colours) agree:
          its second-best photo minus the second design's score
margin    the best design against the tenth: how crowded this part of the catalog is
========  =====================================================================

A logistic model turns them into the probability that the best design is the query's own
(:class:`SameDesignRule`). It is fitted (:func:`fit_rule`) on queries whose answer is known:
every photo of a labelled gallery searched with itself left out (:func:`skill.catalog.answer_features.leave_one_out`), on
designs the encoder was not trained on, since scores on its training designs are inflated.
The rule answers when the probability reaches ``accept``, the lowest probability at which the
fitted answers reached the target precision; below it the app says that no same design was
found.

Example:
    >>> queries = leave_one_out(embeddings, design_keys(items))
    >>> rule = fit_rule(queries, source="held-out training designs")
    >>> rule.probability(queries.features)[:3], rule.accept
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from skill.catalog.answer_features import (
    FEATURES,
    LeaveOneOut,
    describe_queries,
    leave_one_out,
)

RULE_VERSION = 1
CATALOG_ABSENT_SHARE = 0.2
"""Share of a catalog's refit queries searched with their whole design left out
(:func:`catalog_rule`): the rule a catalog keeps expects one new photo in five to be of a design
the catalog lacks, and learns to say "no same design" to it. Measured on the demo catalog with
``benchmarks/new_photo_answers.py`` (the README's figures): with 0, four in five photos of
designs the catalog lacks got a wrong answer."""

OPEN_SET_SHARE = 0.5
"""Share of the queries asked about a design the gallery lacks, in the open-set figures
(:func:`open_set_metrics`): as if half the new photos were of designs the catalog does not have."""


@dataclass(frozen=True)
class SameDesignRule:
    """A fitted same-design decision for one encoder.

    Attributes:
        center: Mean of each feature on the fit data, shape (4,), in :data:`FEATURES` order.
        scale: Standard deviation of each feature on the fit data.
        weights: Logistic weights of the standardised features.
        bias: Logistic intercept.
        accept: Probability from which the best design is given as the answer. Typical 0.6-0.9.
        fitted: What it was fitted on and how it did there: ``source``, ``queries``,
            ``precision``, ``recall``, ``ece`` (see :func:`answer_metrics`).
    """

    center: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    accept: float
    fitted: dict[str, Any] = field(default_factory=dict)

    def probability(self, features: np.ndarray) -> np.ndarray:
        """Probability that the best design is the query's own.

        Args:
            features: Shape (q, 4) or (4,), in :data:`FEATURES` order.

        Returns:
            Shape (q,) (or a scalar array for one query), in [0, 1].
        """
        x = (np.asarray(features, np.float64) - np.asarray(self.center)) / np.asarray(self.scale)
        logit = x @ np.asarray(self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (for ``config.json`` and catalog manifests).

        A fitted figure that is undefined (the precision of a rule that answers nothing) is
        None: JSON has no NaN, and checkpoint readers refuse it.
        """
        record = asdict(self)
        record["fitted"] = {
            key: None if isinstance(value, float) and not math.isfinite(value) else value
            for key, value in record["fitted"].items()
        }
        return {"version": RULE_VERSION, "features": list(FEATURES), **record}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> SameDesignRule:
        """Reads :meth:`to_dict`'s record back, checking every field.

        Raises:
            ValueError: A missing, mistyped or non-finite field, or another feature set.
        """
        if not isinstance(record, dict):
            raise ValueError("same-design rule must be a JSON object")
        if record.get("version") != RULE_VERSION or tuple(record.get("features", ())) != FEATURES:
            raise ValueError(
                f"same-design rule: expected version {RULE_VERSION} with features "
                f"{list(FEATURES)}, got {record.get('version')!r} / {record.get('features')!r}"
            )
        vectors = {}
        for key in ("center", "scale", "weights"):
            values = record.get(key)
            if not isinstance(values, list | tuple) or len(values) != len(FEATURES):
                raise ValueError(f"same-design rule: {key} must be {len(FEATURES)} numbers")
            vectors[key] = tuple(_finite(v, key) for v in values)
        if min(vectors["scale"]) <= 0:
            raise ValueError("same-design rule: scale must be positive")
        accept = _finite(record.get("accept"), "accept")
        if not 0.0 <= accept <= 1.0:
            raise ValueError(f"same-design rule: accept must be in [0, 1], got {accept}")
        fitted = record.get("fitted", {})
        return cls(
            center=vectors["center"],
            scale=vectors["scale"],
            weights=vectors["weights"],
            bias=_finite(record.get("bias"), "bias"),
            accept=accept,
            fitted=fitted if isinstance(fitted, dict) else {},
        )


def _finite(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"same-design rule: {name} must be a finite number, got {value!r}")
    return float(value)


def fit_rule(
    queries: LeaveOneOut,
    target_precision: float = 0.92,
    min_answers: int = 20,
    source: str = "",
    regularization: float = 1.0,
) -> SameDesignRule:
    """Fits the logistic model and the acceptance probability on labelled queries.

    Args:
        queries: Leave-one-out queries with known answers (:func:`skill.catalog.answer_features.leave_one_out`).
        target_precision: Share of answers that must be right on the fit data. Aim above the
            precision wanted on new photos (0.92 for 0.90): a threshold fitted on one set of
            queries is a little optimistic on the next. Typical 0.85-0.97.
        min_answers: Fewest answers the threshold may keep; with fewer, ``accept`` is 1 (no
            answer is ever given).
        source: Plain words on what the queries were, kept in ``fitted``.
        regularization: Inverse L2 strength of the logistic fit (scikit-learn's ``C``).

    Raises:
        ValueError: Too few queries, or only right (or only wrong) answers.
    """
    from sklearn.linear_model import LogisticRegression

    features, labels = queries.features, queries.correct
    if len(labels) < 20 or labels.all() or not labels.any():
        raise ValueError(
            f"a same-design rule needs at least 20 labelled queries with right and wrong best "
            f"designs; got {len(labels)} queries, {int(labels.sum())} right"
        )
    center = features.mean(axis=0)
    scale = np.where(features.std(axis=0) > 1e-9, features.std(axis=0), 1.0)
    model = LogisticRegression(C=regularization, max_iter=1000)
    model.fit((features - center) / scale, labels)
    rule = SameDesignRule(
        center=tuple(float(v) for v in center),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(v) for v in model.coef_[0]),
        bias=float(model.intercept_[0]),
        accept=1.0,
    )
    probability = rule.probability(features)
    accept = acceptance_threshold(probability, labels, target_precision, min_answers)
    rule = SameDesignRule(rule.center, rule.scale, rule.weights, rule.bias, accept)
    figures = answer_metrics(rule, queries)
    fitted = {"source": source, "target_precision": target_precision, **figures}
    return SameDesignRule(rule.center, rule.scale, rule.weights, rule.bias, accept, fitted)


def acceptance_threshold(
    probability: np.ndarray, correct: np.ndarray, target_precision: float, min_answers: int = 20
) -> float:
    """The lowest probability whose answers (all queries at or above it) reach the precision.

    Returns 1.0 (never answer) when no threshold keeps ``min_answers`` answers at that precision.
    """
    order = np.argsort(-probability, kind="stable")
    right = np.cumsum(correct[order])
    precision = right / np.arange(1, len(order) + 1)
    sorted_p = probability[order]
    # Only cut between distinct probabilities: tied queries are answered together.
    cut = np.r_[sorted_p[1:] < sorted_p[:-1], True]
    ok = np.flatnonzero(
        cut & (precision >= target_precision) & (np.arange(1, len(order) + 1) >= min_answers)
    )
    if len(ok) == 0:
        return 1.0
    return float(sorted_p[ok.max()])


def answer_metrics(rule: SameDesignRule, queries: LeaveOneOut, bins: int = 10) -> dict[str, float]:
    """How the rule's answers do on labelled queries.

    - ``precision``: of the answers "this is design D", the share that are right;
    - ``recall``: of the answerable queries (their design has another photo), the share
      answered with the right design;
    - ``ece``: expected calibration error of the stated probability over every query, in
      ``bins`` equal-width bins (0 is perfectly calibrated);
    - ``answered``: share of queries that get an answer.

    A query whose design has no other photo can only be answered wrongly, so it counts
    against precision when it gets an answer.
    """
    probability = rule.probability(queries.features)
    answered = probability >= rule.accept
    right = answered & queries.correct & queries.answerable
    n_answerable = int(queries.answerable.sum())
    return {
        "precision": float(right.sum() / answered.sum()) if answered.any() else math.nan,
        "recall": float(right.sum() / n_answerable) if n_answerable else math.nan,
        "ece": expected_calibration_error(probability, queries.correct & queries.answerable, bins),
        "answered": float(answered.mean()) if len(answered) else math.nan,
        "queries": int(len(answered)),
    }


def open_set_metrics(
    rule: SameDesignRule, embeddings: np.ndarray, designs: np.ndarray, seed: int = 0
) -> dict[str, float]:
    """The rule's answers when half the photos asked about are of designs the gallery lacks.

    Every photo is a query with itself left out, and :data:`OPEN_SET_SHARE` of them (seeded)
    with their whole design left out too: any answer to those is wrong. ``precision`` and
    ``recall`` as in :func:`answer_metrics`; ``answered_absent`` is the share of the absent
    designs' photos that got a (wrong) answer.
    """
    queries = leave_one_out(embeddings, designs, None, seed, absent_share=OPEN_SET_SHARE)
    figures = answer_metrics(rule, queries)
    answered = rule.probability(queries.features) >= rule.accept
    absent = queries.absent
    figures["answered_absent"] = float(answered[absent].mean()) if absent.any() else math.nan
    return figures


def expected_calibration_error(
    probability: np.ndarray, outcome: np.ndarray, bins: int = 10
) -> float:
    """Mean |observed rate - stated probability| over equal-width bins, weighted by their size."""
    probability = np.asarray(probability, np.float64)
    outcome = np.asarray(outcome, np.float64)
    if len(probability) == 0:
        return math.nan
    which = np.minimum((probability * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(outcome[members].mean() - probability[members].mean())
    return float(error)


def catalog_rule(
    embeddings: np.ndarray,
    items,
    shipped: dict[str, Any] | None,
    min_queries: int = 300,
    max_queries: int = 3000,
    absent_share: float = CATALOG_ABSENT_SHARE,
) -> dict[str, Any] | None:
    """The rule a catalog keeps for one encoder, as a record for its manifest.

    Refitted on the catalog itself where it has enough labelled designs (each labelled photo
    searched with itself left out, the unlabelled ones kept as distractors): its own scale,
    density and look-alikes are what a new photo meets. Otherwise the encoder's shipped rule.

    Args:
        embeddings: Shape (n, dim), row-aligned with ``items``.
        items: The catalog's item table (``design_id`` may be empty).
        shipped: The encoder's rule record (its ``config.json`` ``same_design``), or None.
        min_queries: Fewest labelled queries whose design has another photo for a refit.
            Typical 200-1000.
        max_queries: Queries sampled for the refit (cost ``max_queries x n`` dot products).
        absent_share: Share of them searched with their whole design left out
            (:data:`CATALOG_ABSENT_SHARE`); 0 fits the closed-set rule the encoders ship.

    Returns:
        A :meth:`SameDesignRule.to_dict` record (``fitted`` says where it comes from and its
        leave-one-out ``hit@1`` on the catalog, when refitted), or None.
    """
    from skill.catalog.designs import design_keys

    keys = design_keys(items)
    labelled = (items["design_id"].astype(str) != "").to_numpy() if "design_id" in items else None
    if labelled is not None:
        _, counts = np.unique(keys[labelled], return_counts=True)
        answerable = int(counts[counts > 1].sum())
        if answerable >= min_queries:
            queries = leave_one_out(
                embeddings, keys, max_queries, eligible=labelled, absent_share=absent_share
            )
            source = f"this catalog: {describe_queries(queries, 'labelled designs')}"
            try:
                rule = fit_rule(queries, source=source)
            except ValueError:
                rule = None
            if rule is not None:
                record = rule.to_dict()
                record["fitted"]["hit@1"] = queries.hit_at_1
                return record
    if shipped:
        SameDesignRule.from_dict(shipped)  # a damaged record stops here, not at search time
        return dict(shipped)
    return None


def describe_rule(record: dict[str, Any]) -> str:
    """A rule record in plain words, for a model card (Markdown)."""
    rule = SameDesignRule.from_dict(record)
    fitted = rule.fitted
    figures = []
    if isinstance(fitted.get("precision"), float) and fitted["precision"] == fitted["precision"]:
        figures.append(f"{fitted['precision']:.0%} of its answers were right")
    if isinstance(fitted.get("recall"), float) and fitted["recall"] == fitted["recall"]:
        figures.append(f"{fitted['recall']:.0%} of the photos got the right design")
    if isinstance(fitted.get("ece"), float) and fitted["ece"] == fitted["ece"]:
        figures.append(f"calibration error {fitted['ece']:.3f}")
    where = f" Fitted on {fitted['source']}" if fitted.get("source") else ""
    measured = f": {', '.join(figures)}." if figures else "."
    return (
        f"**Same-design answer.** A new photo's best design is called its own design when the "
        f"calibrated probability reaches {rule.accept:.0%} (from the best score, its gap to the "
        f"next design, the design's other colours and the crowd around it).{where}{measured}"
    )
