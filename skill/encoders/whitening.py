"""PCA whitening of retrieval features, learned without labels from a catalog's own photos.

Pooled CNN features are far from isotropic: a few directions (white studio background, garment
silhouette, the photo's overall brightness) carry most of the variance and are shared by nearly
every product, so they dominate cosine similarity and drown the fine details that tell two
designs apart. Whitening (Jégou & Chum, "Negative evidences and co-occurrences in image
retrieval", ECCV 2012) centres the unit-norm features, rotates them onto their principal axes
and divides each axis by its standard deviation, so every direction counts alike; dropping the
smallest axes (``dim`` < input size) discards the directions that are mostly noise.

It is one linear layer on L2-normalised features, so it ships as the encoder's ``linear``
:class:`~skill.encoders.heads.ProjectionHead` and costs nothing at search time.

Example:
    >>> whitening = fit_whitening(train_features, dim=1024)
    >>> head = whitening_head(whitening)          # Linear(1280, 1024) on unit-norm input
    >>> embeddings = F.normalize(head(torch.from_numpy(features)), dim=-1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from skill.encoders.heads import ProjectionHead


@dataclass(frozen=True)
class Whitening:
    """A fitted whitening: ``(normalize(x) - mean) @ projection``.

    Attributes:
        mean: Shape (in_dim,): mean of the unit-norm training features.
        projection: Shape (in_dim, dim): principal axes scaled by 1/sqrt(variance + eps),
            largest variance first.
        variances: Shape (dim,): the variance along each kept axis.
    """

    mean: np.ndarray
    projection: np.ndarray
    variances: np.ndarray

    def apply(self, features: np.ndarray) -> np.ndarray:
        """Whitens features of shape (n, in_dim) to shape (n, dim) (not re-normalised)."""
        x = np.asarray(features, np.float64)
        x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
        return ((x - self.mean) @ self.projection).astype(np.float32)


def fit_whitening(features: np.ndarray, dim: int | None = None, eps: float = 1e-6) -> Whitening:
    """Fits PCA whitening on unit-norm features.

    Args:
        features: Shape (n, in_dim): backbone features of the training photos, any norm.
        dim: Axes kept, at most ``in_dim``; None keeps all. Typical: 3/4 to all of ``in_dim``.
            Needs n > dim photos for a stable estimate.
        eps: Added to every variance, so near-empty axes are not blown up. Typical 1e-6-1e-3
            (unit-norm features have total variance below 1).

    Returns:
        The fitted :class:`Whitening`.

    Raises:
        ValueError: Fewer than two photos, or ``dim`` out of range.
    """
    x = np.asarray(features, np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"need features of shape (n >= 2, dim), got {x.shape}")
    in_dim = x.shape[1]
    dim = in_dim if dim is None else int(dim)
    if not 1 <= dim <= in_dim:
        raise ValueError(f"dim must be in [1, {in_dim}], got {dim}")
    x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
    mean = x.mean(axis=0)
    centred = x - mean
    variances, axes = np.linalg.eigh(centred.T @ centred / len(x))
    order = np.argsort(variances)[::-1][:dim]
    variances = np.clip(variances[order], 0.0, None)
    projection = axes[:, order] / np.sqrt(variances + eps)
    return Whitening(mean=mean, projection=projection, variances=variances)


def whitening_head(whitening: Whitening) -> ProjectionHead:
    """The whitening as a ``linear`` head on unit-norm input (ships in an encoder checkpoint)."""
    in_dim, dim = whitening.projection.shape
    head = ProjectionHead(in_dim, dim, head_type="linear", normalize_input=True)
    projection = torch.from_numpy(whitening.projection.astype(np.float32))
    with torch.no_grad():
        head.layers[0].weight.copy_(projection.T)
        head.layers[0].bias.copy_(-torch.from_numpy(whitening.mean.astype(np.float32)) @ projection)
    return head.eval()


__all__ = ["Whitening", "fit_whitening", "whitening_head"]
