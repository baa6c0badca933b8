"""Batches of P classes x K samples, the batches online triplet mining needs.

Each batch draws ``p`` classes (designs, or weak classes) with at least two photos and ``k``
photos of each, taking different colours first (so positives are colour variants, not second
shots of one colourway), repeating photos only when a class has fewer than ``k``.

Example:
    >>> sampler = PKSampler(design_ids, colours, p=16, k=4, seed=0)
    >>> for batch in sampler.batches(epoch=0):  # lists of 64 row positions
    ...     loss = loss_fn(head(features[batch]), labels[batch])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


class PKSampler:
    """Samples P classes x K photos per batch.

    Args:
        labels: Class of each row.
        colours: Colour of each row, or None to ignore colour.
        p: Classes per batch. Typical 8-64.
        k: Photos per class. Typical 2-8 (H&M designs have 2-3 colours).
        seed: Base seed; epoch ``e`` uses ``seed + e``.
    """

    def __init__(
        self,
        labels: Sequence,
        colours: Sequence | None = None,
        p: int = 16,
        k: int = 4,
        seed: int = 0,
    ) -> None:
        if p < 2 or k < 2:
            raise ValueError(f"need p >= 2 and k >= 2, got p={p}, k={k}")
        labels = [str(v) for v in labels]
        colours = [str(c) for c in colours] if colours is not None else [""] * len(labels)
        if len(colours) != len(labels):
            raise ValueError("labels and colours must have the same length")
        groups: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            groups.setdefault(label, []).append(i)
        self.groups = [np.asarray(rows) for rows in groups.values() if len(rows) >= 2]
        if len(self.groups) < p:
            raise ValueError(f"only {len(self.groups)} classes have 2+ rows; p={p} is too many")
        self.colours = np.asarray(colours)
        self.p, self.k, self.seed = p, k, seed

    def __len__(self) -> int:
        return len(self.groups) // self.p

    def batches(self, epoch: int = 0) -> Iterator[list[int]]:
        """The batches of one epoch; every eligible class appears at most once per epoch."""
        rng = np.random.default_rng(self.seed + epoch)
        order = rng.permutation(len(self.groups))
        for start in range(0, len(self) * self.p, self.p):
            batch: list[int] = []
            for g in order[start : start + self.p]:
                batch += self._pick(self.groups[g], rng)
            yield batch

    def _pick(self, rows: np.ndarray, rng: np.random.Generator) -> list[int]:
        rows = rows[rng.permutation(len(rows))]
        _, first = np.unique(self.colours[rows], return_index=True)
        distinct = rows[np.sort(first)]  # one photo per colour first
        rest = np.setdiff1d(rows, distinct, assume_unique=True)
        ordered = np.concatenate([distinct, rng.permutation(rest)])
        if len(ordered) >= self.k:
            return ordered[: self.k].tolist()
        extra = rng.choice(ordered, size=self.k - len(ordered), replace=True)
        return ordered.tolist() + extra.tolist()
