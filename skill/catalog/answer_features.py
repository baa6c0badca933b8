"""What a search says of its own answer: the features of the top of a design ranking, and
labelled galleries searched photo by photo to learn and measure them.

The same-design rule (:mod:`skill.catalog.same_design`) reads four features of a search
(:data:`FEATURES`, :func:`ranking_features`); :func:`leave_one_out` searches every photo of a
labelled gallery with itself left out (and, for open-set figures, some with their whole design
left out) so that the features come with known answers.

Example:
    >>> queries = leave_one_out(embeddings, design_keys(items))
    >>> queries.features.shape, queries.hit_at_1
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FEATURES = ("top", "gap", "agree", "margin")
"""The features, in order (see :mod:`skill.catalog.same_design` for what each measures)."""
MARGIN_RANK = 10
"""The design that ``margin`` compares the best one with (its 1-based rank)."""


def ranking_features(design_scores: np.ndarray, top_photo_scores: np.ndarray) -> np.ndarray:
    """The features of one search.

    Args:
        design_scores: Each design's best score, best first, shape (m,); at least one design.
            Fewer than :data:`MARGIN_RANK` designs: the last one stands in.
        top_photo_scores: Scores of the best design's photos, best first, shape (p,).

    Returns:
        Shape (4,), in :data:`FEATURES` order.
    """
    designs = np.asarray(design_scores, np.float64)
    if len(designs) == 0:
        raise ValueError("ranking_features needs at least one design")
    photos = np.asarray(top_photo_scores, np.float64)
    top = designs[0]
    second = designs[1] if len(designs) > 1 else designs[0] - 1.0
    other_colour = photos[1] if len(photos) > 1 else second
    tenth = designs[min(MARGIN_RANK, len(designs)) - 1] if len(designs) > 1 else second
    return np.array([top, top - second, other_colour - second, top - tenth])


@dataclass
class LeaveOneOut:
    """Every photo of a labelled gallery searched with itself left out.

    Attributes:
        rows: Gallery row of each query, shape (q,).
        features: Shape (q, 4), :data:`FEATURES` order.
        correct: Whether the best design is the query's own, shape (q,).
        answerable: Whether the query's design has another photo in the gallery, shape (q,).
        absent: Whether the query was searched with its whole design left out (a design the
            gallery lacks; never answerable), shape (q,).
    """

    rows: np.ndarray
    features: np.ndarray
    correct: np.ndarray
    answerable: np.ndarray
    absent: np.ndarray | None = None

    @property
    def hit_at_1(self) -> float:
        """Share of answerable queries whose best design is their own."""
        return float(self.correct[self.answerable].mean()) if self.answerable.any() else math.nan


def leave_one_out(
    embeddings: np.ndarray,
    designs: np.ndarray,
    max_queries: int | None = 3000,
    seed: int = 0,
    chunk_size: int = 256,
    eligible: np.ndarray | None = None,
    absent_share: float = 0.0,
) -> LeaveOneOut:
    """Searches the gallery with each of its photos, itself left out, and reads the features.

    With ``absent_share`` > 0 a seeded share of the queries is searched with every photo of
    its design left out: a photo of a design the gallery does not have, which any answer gets
    wrong. A rule fitted without them has only seen photos whose design is there, and answers
    a new design with its nearest look-alike.

    Args:
        embeddings: Shape (n, dim), unit norm.
        designs: Design key of each row, shape (n,) (see
            :func:`skill.catalog.designs.design_keys`).
        max_queries: Query at most this many photos (a seeded sample); ``None`` queries all.
            Cost is ``max_queries x n`` dot products.
        seed: Seed of the sample.
        chunk_size: Queries scored at once (memory is ``chunk_size x n`` floats).
        eligible: Rows that may be queries, shape (n,) bool (default: all); the others stay
            in the gallery (e.g. unlabelled photos as distractors).
        absent_share: Share of the queries searched with their whole design left out, in
            [0, 1). 0 for the evaluation protocol; :data:`OPEN_SET_SHARE` for the open-set
            figures.

    Returns:
        A :class:`LeaveOneOut` over the queried photos, in row order.
    """
    x = np.asarray(embeddings, np.float32)
    n = len(x)
    codes = design_codes(designs)
    rows = np.arange(n) if eligible is None else np.flatnonzero(eligible)
    if max_queries is not None and len(rows) > max_queries:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=max_queries, replace=False))
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    design_of_block = codes[order][starts]
    members = np.split(order, starts[1:])  # rows of each design, in design-code order
    sizes = np.bincount(codes, minlength=len(members))
    features = np.zeros((len(rows), len(FEATURES)))
    correct = np.zeros(len(rows), dtype=bool)
    absent = np.random.default_rng([seed, 1]).random(len(rows)) < absent_share
    for start in range(0, len(rows), chunk_size):
        block = rows[start : start + chunk_size]
        scores = x[block] @ x.T
        scores[np.arange(len(block)), block] = -np.inf
        for j in np.flatnonzero(absent[start : start + chunk_size]):
            scores[j, members[codes[block[j]]]] = -np.inf  # block k holds design code k
        best = np.maximum.reduceat(scores[:, order], starts, axis=1)  # (b, designs)
        top_k = min(MARGIN_RANK, best.shape[1])
        ranked = np.argpartition(-best, top_k - 1, axis=1)[:, :top_k]
        for j, row in enumerate(block):
            candidates = ranked[j][np.argsort(-best[j, ranked[j]], kind="stable")]
            design_scores = best[j, candidates]
            design_scores = design_scores[np.isfinite(design_scores)]
            if len(design_scores) == 0:  # a gallery of one photo
                continue
            top_block = candidates[0]
            photo_scores = np.sort(scores[j, members[top_block]])[::-1]
            photo_scores = photo_scores[np.isfinite(photo_scores)]
            features[start + j] = ranking_features(design_scores, photo_scores)
            correct[start + j] = design_of_block[top_block] == codes[row]
    answerable = (sizes[codes[rows]] > 1) & ~absent
    return LeaveOneOut(rows, features, correct, answerable, absent)


def describe_queries(queries: LeaveOneOut, what: str) -> str:
    """What a rule was fitted on, in words, for its ``fitted["source"]``."""
    text = f"{len(queries.rows):,} photos of {what}, each searched with itself left out"
    if queries.absent is not None and queries.absent.any():
        text += f" ({int(queries.absent.sum()):,} of them with their whole design left out)"
    return text


def design_codes(values: np.ndarray) -> np.ndarray:
    """Integer codes 0..m-1 of the distinct values (sorted as strings)."""
    _, codes = np.unique(np.asarray(values).astype(str), return_inverse=True)
    return codes.astype(np.int64)
