"""Weakly supervised triplet loss from product text: weak classes and an adaptive margin.

A catalog without design ids still has titles and descriptions. Following the adaptive triplet
loss idea (ATL; Amazon, "Adaptive triplet loss for weakly supervised visual search"), the text
supplies the supervision in two ways:

- *Weak classes* (:func:`weak_class_ids`): photos whose normalised title and product type agree
  (colour words removed, since colour variants share the rest of their title) form one class;
  they are the positives. The class is noisy: two designs may share a title (a false negative
  becomes a false positive) and one design may carry two titles.
- *Adaptive margin* (:class:`AdaptiveTripletLoss`): the margin between an anchor ``a`` and a
  negative ``n`` shrinks with the similarity of their texts (TF-IDF of title, type and
  description, :func:`text_vectors`)::

      margin(a, n) = base_margin * (1 - cos(text_a, text_n))

  A negative whose text is nearly the anchor's (likely the same design under another name, or a
  near-identical product) is pushed away little; an unrelated product by the full margin.
  Mining is batch-hard under the per-pair margin (the negative violating its own margin most).

Example:
    >>> classes = weak_class_ids(items["title"], items["category"])
    >>> texts = torch.from_numpy(text_vectors(items["title"] + " " + items["description"]))
    >>> loss = AdaptiveTripletLoss(0.3)(head(x), classes[batch], texts[batch])
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from skill.images.colors import COLOR_NAMES
from skill.train.losses.triplet_loss import batch_hard_triplet_loss, pairwise_distances

COLOUR_WORDS = frozenset(
    word
    for name in COLOR_NAMES
    for word in name.lower().split()
    if word not in ("light", "dark", "off")
) | frozenset(
    [
        "colour",
        "color",
        "multicoloured",
        "multicolour",
        "melange",
        "navy",
        "denim",
        "gold",
        "silver",
        "cream",
        "turquoise",
        "lilac",
        "coral",
        "mole",
        "greenish",
        "yellowish",
        "reddish",
        "bluish",
    ]
)
"""Words dropped from text before it defines weak classes (colour variants differ in them)."""


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens with colour words and one-letter tokens removed."""
    words = re.findall(r"[a-z0-9]+", str(text).lower())
    return [w for w in words if len(w) > 1 and w not in COLOUR_WORDS]


def weak_class_ids(*columns: Sequence[str]) -> np.ndarray:
    """Weak class of each row: rows whose normalised texts agree in every column share an id.

    Args:
        *columns: Text columns of equal length, e.g. titles and product types.

    Returns:
        Shape (n,), int64 ids in ``[0, number of classes)``.
    """
    if not columns:
        raise ValueError("weak_class_ids needs at least one text column")
    keys = ["|".join(" ".join(tokenize(t)) for t in row) for row in zip(*columns, strict=True)]
    _, ids = np.unique(np.asarray(keys), return_inverse=True)
    return ids.astype(np.int64)


def text_vectors(texts: Sequence[str], min_count: int = 2) -> np.ndarray:
    """Unit-norm TF-IDF vectors of texts (colour words removed).

    Args:
        texts: One text per row, e.g. title + type + description.
        min_count: Words in fewer rows are dropped. Typical 1-5.

    Returns:
        Shape (n, vocabulary), float32; an all-zero row for a text with no kept word.
    """
    tokens = [tokenize(t) for t in texts]
    document_frequency = Counter(w for words in tokens for w in set(words))
    vocabulary = sorted(w for w, c in document_frequency.items() if c >= min_count)
    column = {w: j for j, w in enumerate(vocabulary)}
    idf = np.log((1 + len(texts)) / (1 + np.asarray([document_frequency[w] for w in vocabulary])))
    out = np.zeros((len(texts), len(vocabulary)), np.float32)
    for i, words in enumerate(tokens):
        for word, count in Counter(words).items():
            if word in column:
                out[i, column[word]] = count * (idf[column[word]] + 1.0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def adaptive_margins(texts: torch.Tensor, base_margin: float) -> torch.Tensor:
    """Per-pair margins ``base_margin * (1 - cos(text_i, text_j))``. (n, t) -> (n, n)."""
    similarity = (texts @ texts.T).clamp(0.0, 1.0)
    return base_margin * (1.0 - similarity)


class AdaptiveTripletLoss(nn.Module):
    """Batch-hard triplet loss over weak classes with a text-adaptive margin.

    Args:
        base_margin: Margin against a negative whose text shares nothing with the anchor's.
            Typical 0.2-0.5.
        min_margin: Floor of the adapted margin, so near-duplicate texts still separate a
            little. Typical 0-0.1.
    """

    def __init__(self, base_margin: float = 0.3, min_margin: float = 0.05) -> None:
        super().__init__()
        if base_margin <= 0 or not 0 <= min_margin <= base_margin:
            raise ValueError("need base_margin > 0 and 0 <= min_margin <= base_margin")
        self.base_margin = base_margin
        self.min_margin = min_margin

    def forward(
        self, embeddings: torch.Tensor, weak_classes: torch.Tensor, texts: torch.Tensor
    ) -> torch.Tensor:
        """Mean loss.

        Args:
            embeddings: Shape (batch, dim); normalised inside.
            weak_classes: Shape (batch,): weak class ids.
            texts: Shape (batch, vocabulary): unit-norm text vectors.
        """
        margins = adaptive_margins(texts.to(embeddings.dtype), self.base_margin)
        margins = margins.clamp_min(self.min_margin)
        return batch_hard_triplet_loss(pairwise_distances(embeddings), weak_classes, margins)
