"""Few-shot labelling: tag a handful of photos per label, label the rest of the catalog.

Self-supervised features make good few-shot classifiers without any training (Caron et al.,
"Emerging Properties in Self-Supervised Vision Transformers", 2021, k-NN evaluation; Assran et
al., "Masked Siamese Networks for Label-Efficient Learning", 2022, 1-5 labels per class). Two
classifiers over unit embeddings, both training-free:

- **prototypes**: each label's prototype is the renormalised mean of its tagged embeddings
  (Snell et al., "Prototypical Networks", 2017); a photo takes the label of the most
  cosine-similar prototype. ``confidence`` is the softmax probability of that label over the
  prototype similarities divided by ``temperature``; ``margin`` is the cosine gap between the
  best and the second-best prototype.
- **k-NN**: the ``k`` most similar tagged photos vote with weight ``exp(cosine / temperature)``
  (the weighted k-NN of DINO's evaluation); ``confidence`` is the winning label's share of the
  vote, ``margin`` the gap between the two largest vote shares.

Example:
    >>> seeds = {12: "dress", 40: "dress", 7: "sneaker"}
    >>> labels = label_by_prototypes(catalog.embeddings("imagenet-lite0"), seeds)
    >>> labels.sort_values("confidence").head()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

METHODS = ("prototypes", "knn")


def label_by_prototypes(
    embeddings: np.ndarray, seeds: Mapping[int, str], temperature: float = 0.05
) -> pd.DataFrame:
    """Labels every row by its nearest label prototype.

    Args:
        embeddings: Shape (n, dim); normalised here.
        seeds: Catalog row -> label, at least one row per label used.
        temperature: Softmax temperature on cosine similarity: lower gives sharper
            confidences. Typical 0.02-0.1.

    Returns:
        One row per catalog row (index = row): ``label, confidence, margin, seeded``.
        Seeded rows keep their own label with confidence 1.
    """
    vectors, rows, seed_labels = _prepare(embeddings, seeds, temperature)
    classes = np.unique(seed_labels)
    prototypes = np.stack([_unit(vectors[rows[seed_labels == c]].mean(axis=0)) for c in classes])
    similarity = vectors @ prototypes.T
    probability = _softmax(similarity / temperature)
    return _result(classes, probability, _margin(similarity), rows, seed_labels)


def label_by_knn(
    embeddings: np.ndarray, seeds: Mapping[int, str], k: int = 10, temperature: float = 0.07
) -> pd.DataFrame:
    """Labels every row by a similarity-weighted vote of its ``k`` nearest seeds.

    Args:
        embeddings: Shape (n, dim); normalised here.
        seeds: Catalog row -> label.
        k: Seeds that vote (fewer when fewer are tagged). Typical 5-20.
        temperature: Vote weight ``exp(cosine / temperature)``. Typical 0.05-0.1.

    Returns:
        As :func:`label_by_prototypes`.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    vectors, rows, seed_labels = _prepare(embeddings, seeds, temperature)
    classes, seed_class = np.unique(seed_labels, return_inverse=True)
    votes = _knn_votes(vectors, vectors[rows], seed_class, len(classes), k, temperature)
    return _result(classes, votes, _margin(votes), rows, seed_labels)


def evaluate_few_shot(
    embeddings: np.ndarray,
    true_labels: Sequence[str],
    shots: Sequence[int] = (1, 5, 10),
    trials: int = 5,
    seed: int = 0,
    k: int = 10,
) -> pd.DataFrame:
    """Few-shot accuracy against known labels: tag ``shots`` random photos per class, label the
    others, count how many come out right.

    Classes with fewer than ``shots + 1`` photos are skipped (nothing would be left to label)
    and counted; rows with an empty label are ignored.

    Args:
        embeddings: Shape (n, dim).
        true_labels: Known label per row (e.g. product type), length n.
        shots: Tagged photos per class to try.
        trials: Random draws of the tagged photos per setting; the table gives mean and std.
        seed: Random seed.
        k: Neighbours of the k-NN classifier.

    Returns:
        CSV-ready, one row per (method, shots): ``method, shots, accuracy_mean, accuracy_std,
        balanced_accuracy_mean, classes, classes_skipped, queries, trials``. Balanced
        accuracy is the mean of per-class accuracy (rare classes count as much as common ones).
    """
    labels = np.asarray(true_labels, dtype=object).astype(str)
    vectors = _unit(np.asarray(embeddings, np.float32))
    if len(labels) != len(vectors):
        raise ValueError(f"got {len(labels)} labels for {len(vectors)} embeddings")
    if trials < 1:
        raise ValueError(f"trials must be >= 1, got {trials}")
    rng = np.random.default_rng(seed)
    known = labels != ""
    classes, counts = np.unique(labels[known], return_counts=True)
    rows = []
    for shot in shots:
        if shot < 1:
            raise ValueError(f"shots must be >= 1, got {shot}")
        usable = classes[counts >= shot + 1]
        scores: dict[str, list[tuple[float, float]]] = {m: [] for m in METHODS}
        queries = 0
        if len(usable) >= 2:
            for _ in range(trials):
                seeds = {}
                for name in usable:
                    members = np.flatnonzero(labels == name)
                    for row in rng.choice(members, size=shot, replace=False):
                        seeds[int(row)] = name
                query = np.flatnonzero(np.isin(labels, usable))
                query = query[~np.isin(query, list(seeds))]
                queries = len(query)
                truth = labels[query]
                for method in METHODS:
                    if method == "prototypes":
                        predicted = label_by_prototypes(vectors, seeds)["label"].to_numpy()
                    else:
                        predicted = label_by_knn(vectors, seeds, k=k)["label"].to_numpy()
                    correct = predicted[query] == truth
                    per_class = pd.Series(correct).groupby(truth).mean()
                    scores[method].append((float(correct.mean()), float(per_class.mean())))
        for method in METHODS:
            values = np.array(scores[method]) if scores[method] else np.full((1, 2), np.nan)
            rows.append(
                {
                    "method": method,
                    "shots": shot,
                    "accuracy_mean": float(values[:, 0].mean()),
                    "accuracy_std": float(values[:, 0].std()),
                    "balanced_accuracy_mean": float(values[:, 1].mean()),
                    "classes": int(len(usable)),
                    "classes_skipped": int(len(classes) - len(usable)),
                    "queries": int(queries),
                    "trials": len(scores[method]),
                }
            )
    return pd.DataFrame(rows)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def _prepare(embeddings, seeds, temperature):
    vectors = _unit(np.asarray(embeddings, np.float32))
    if vectors.ndim != 2:
        raise ValueError(f"embeddings must have shape (n, dim), got {vectors.shape}")
    if not seeds:
        raise ValueError("tag at least one photo (seeds is empty)")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    rows = np.array([int(r) for r in seeds], dtype=np.int64)
    if rows.min() < 0 or rows.max() >= len(vectors):
        raise ValueError(
            f"seed rows must be in [0, {len(vectors)}), got {rows.min()}..{rows.max()}"
        )
    return vectors, rows, np.array([str(seeds[r]) for r in seeds], dtype=object)


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def _margin(scores: np.ndarray) -> np.ndarray:
    if scores.shape[1] < 2:
        return np.ones(len(scores), np.float32)
    top2 = -np.partition(-scores, 1, axis=1)[:, :2]
    return top2[:, 0] - top2[:, 1]


def _knn_votes(vectors, seed_vectors, seed_class, n_classes, k, temperature, chunk=4096):
    """Vote share of every class per row. Shape (n, n_classes)."""
    k = min(k, len(seed_vectors))
    votes = np.zeros((len(vectors), n_classes), np.float64)
    for start in range(0, len(vectors), chunk):
        similarity = vectors[start : start + chunk] @ seed_vectors.T
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        weight = np.exp((np.take_along_axis(similarity, nearest, axis=1) - 1) / temperature)
        block = votes[start : start + chunk]
        np.add.at(block, (np.arange(len(block))[:, None], seed_class[nearest]), weight)
    return votes / votes.sum(axis=1, keepdims=True)


def _result(classes, scores, margin, rows, seed_labels) -> pd.DataFrame:
    best = scores.argmax(axis=1)
    frame = pd.DataFrame(
        {
            "label": classes[best].astype(str),
            "confidence": scores[np.arange(len(scores)), best].astype(float),
            "margin": np.asarray(margin, float),
            "seeded": False,
        }
    )
    frame.loc[rows, "label"] = [str(s) for s in seed_labels]
    frame.loc[rows, ["confidence", "margin"]] = 1.0
    frame.loc[rows, "seeded"] = True
    frame.index.name = "row"
    return frame
