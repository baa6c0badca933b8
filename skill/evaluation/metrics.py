"""Retrieval metrics for colour-variant search.

Protocol (the README's evaluation): every image is in the gallery. A query is every image whose
design has at least one image of another colour in the gallery. Its *targets* are the other
images of the same design in a different colour. The query itself and other images of the same
design in the same colour (second shots) are left out of its ranking; everything else, including
single-colour designs, stays in as a distractor.

- hit@k: at least one target among the k nearest remaining images.
- AP: average precision over the query's targets in the full ranking; mAP is its mean.

Ties are broken in the query's favour (rank = 1 + number of strictly better items).

A query can also be an altered copy of its photo (``query_embeddings``: the product on a
cluttered background, say) searched against the unaltered gallery, with the same targets and
the same photos left out.

Example:
    >>> metrics = colour_variant_retrieval(embeddings, designs, colours)
    >>> metrics["hit@1"], metrics["mAP"]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_KS = (1, 5, 10)


def target_ranks(
    embeddings: np.ndarray,
    design_ids: Sequence,
    colours: Sequence,
    chunk_size: int = 1024,
    query_embeddings: np.ndarray | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Ranks of each query's targets under cosine similarity.

    Args:
        embeddings: Shape (n, dim), unit norm.
        design_ids: Length n, the design of each image.
        colours: Length n, the colour of each image.
        chunk_size: Queries scored at once (memory is chunk_size x n floats).
        query_embeddings: Shape (n, dim), unit norm: what each photo searches with, row for
            row (an altered copy of it); default ``embeddings``.

    Returns:
        ``(queries, ranks)``: query positions, shape (q,), and for each query the sorted
        1-based ranks of its targets.
    """
    n = len(embeddings)
    if not len(design_ids) == len(colours) == n:
        raise ValueError("embeddings, design_ids and colours must have the same length")
    if query_embeddings is not None and np.shape(query_embeddings) != np.shape(embeddings):
        raise ValueError("query_embeddings must have the shape of embeddings, row for row")
    designs = _codes(design_ids)
    colour_codes = _codes(colours)
    same_design = {}
    for i, design in enumerate(designs):
        same_design.setdefault(design, []).append(i)
    queries = np.asarray(
        [
            i
            for i in range(n)
            if any(colour_codes[j] != colour_codes[i] for j in same_design[designs[i]])
        ],
        dtype=np.int64,
    )
    x = np.asarray(embeddings, dtype=np.float32)
    q = x if query_embeddings is None else np.asarray(query_embeddings, dtype=np.float32)
    ranks: list[np.ndarray] = []
    for start in range(0, len(queries), chunk_size):
        block = queries[start : start + chunk_size]
        scores = q[block] @ x.T
        for row, i in zip(scores, block, strict=True):
            group = np.asarray(same_design[designs[i]])
            targets = group[colour_codes[group] != colour_codes[i]]
            excluded = group[colour_codes[group] == colour_codes[i]]  # self and same-colour shots
            row = row.copy()
            row[excluded] = -np.inf
            target_scores = np.sort(row[targets])[::-1]
            ranks.append(1 + (row[None, :] > target_scores[:, None]).sum(axis=1))
    return queries, ranks


def colour_variant_retrieval(
    embeddings: np.ndarray,
    design_ids: Sequence,
    colours: Sequence,
    ks: Sequence[int] = DEFAULT_KS,
    query_embeddings: np.ndarray | None = None,
) -> dict[str, float]:
    """hit@k and mAP of the colour-variant protocol (see module docstring), with each photo
    searching by ``query_embeddings`` (its altered copy) when given.

    Returns:
        ``{"hit@1": ..., "hit@5": ..., "hit@10": ..., "mAP": ..., "queries": q,
        "gallery": n}``. Rates are in [0, 1]; with no query they are NaN.
    """
    queries, ranks = target_ranks(
        embeddings, design_ids, colours, query_embeddings=query_embeddings
    )
    result: dict[str, float] = {}
    for k in ks:
        hits = [r[0] <= k for r in ranks]
        result[f"hit@{k}"] = float(np.mean(hits)) if hits else float("nan")
    result["mAP"] = float(np.mean([average_precision(r) for r in ranks])) if ranks else float("nan")
    result["queries"] = int(len(queries))
    result["gallery"] = int(len(embeddings))
    return result


def first_hits(
    embeddings: np.ndarray,
    design_ids: Sequence,
    colours: Sequence,
    query_embeddings: np.ndarray | None = None,
) -> np.ndarray:
    """Per query of the protocol, in :func:`target_ranks`' order: whether its first result is
    a target. Two encoders' flags on the same photos are paired
    (:func:`skill.evaluation.paired.paired_hits`); their mean is hit@1.

    Returns:
        Boolean array of shape (q,).
    """
    _, ranks = target_ranks(embeddings, design_ids, colours, query_embeddings=query_embeddings)
    return np.array([r[0] == 1 for r in ranks], dtype=bool)


def average_precision(ranks: np.ndarray) -> float:
    """AP from the sorted 1-based ranks of all relevant items: mean of (j / rank_j)."""
    ranks = np.sort(np.asarray(ranks, dtype=np.float64))
    if len(ranks) == 0:
        return float("nan")
    return float(np.mean(np.arange(1, len(ranks) + 1) / ranks))


def rank1_recovery(queries: np.ndarray, gallery: np.ndarray, originals: np.ndarray) -> float:
    """Fraction of queries whose nearest gallery item is their original.

    Args:
        queries: Shape (m, dim), unit norm: embeddings of altered copies.
        gallery: Shape (n, dim), unit norm: embeddings of the unaltered images.
        originals: Shape (m,), gallery position of each query's original.
    """
    if len(queries) == 0:
        return float("nan")
    nearest = np.argmax(np.asarray(queries, np.float32) @ np.asarray(gallery, np.float32).T, axis=1)
    return float(np.mean(nearest == np.asarray(originals)))


def _codes(values: Sequence) -> np.ndarray:
    _, codes = np.unique(np.asarray([str(v) for v in values]), return_inverse=True)
    return codes
