"""Frozen-backbone features, computed once and stored by key, for the CPU training recipes.

The CPU recipes of the colour-variant encoders (triplet, ATL, parts, random-crop) freeze the
ImageNet backbone and train only a :class:`skill.encoders.heads.ProjectionHead`. The backbone's pooled,
L2-normalised features of every photo (or view of a photo) are computed once and kept in a
``.npz`` file (``keys`` + ``vectors``); a head then trains on them in seconds to minutes.

Where a catalog built with the same encoder exists (``python -m skill index``), its stored
embeddings are exactly these features and are read instead of embedding the photos again
(:func:`read_catalog_features`).

Example:
    >>> cache = FeatureCache.load(data_path("features/lite0_224_crop.npz"))
    >>> x = cache.get(["images/010/0108775015.jpg"])  # shape (1, 1280)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from skill.progress import Progress
from skill.train.augment import normalize_image


class FeatureCache:
    """Vectors stored by string key; saved atomically as ``keys`` + ``vectors`` in one npz.

    Args:
        keys: One key per row, e.g. an image path or ``"<path>#<view>"``.
        vectors: Shape (n, dim), float32.
    """

    def __init__(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, np.float32)
        if vectors.ndim != 2 or len(keys) != len(vectors):
            raise ValueError("vectors must have shape (len(keys), dim)")
        self.keys = [str(k) for k in keys]
        self.vectors = vectors
        self._rows = {key: i for i, key in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: str) -> bool:
        return key in self._rows

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def get(self, keys: Sequence[str]) -> np.ndarray:
        """Vectors of ``keys`` (all must be present). Shape (len(keys), dim)."""
        missing = [key for key in keys if key not in self._rows]
        if missing:
            raise KeyError(f"{len(missing)} keys not in the feature cache, e.g. {missing[0]!r}")
        return self.vectors[[self._rows[key] for key in keys]]

    def save(self, path: str | os.PathLike) -> Path:
        """Writes the cache to ``path`` (an ``.npz``) through a temporary file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.stem}.tmp.npz")
        np.savez(temporary, keys=np.asarray(self.keys, dtype=str), vectors=self.vectors)
        os.replace(temporary, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> FeatureCache:
        """Reads a cache written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as data:
            return cls(data["keys"].tolist(), data["vectors"])


def read_catalog_features(catalog_dir: str | os.PathLike, encoder: str) -> FeatureCache:
    """The embeddings a catalog stores for ``encoder``, keyed by image path.

    Args:
        catalog_dir: A catalog folder (see :mod:`skill.catalog.store`).
        encoder: Encoder name, e.g. ``imagenet-lite0`` (unit-norm pooled backbone features).
    """
    from skill.catalog.store import open_catalog

    catalog = open_catalog(catalog_dir)
    return FeatureCache(
        catalog.items["image_path"].astype(str).tolist(), catalog.embeddings(encoder)
    )


@torch.inference_mode()
def extract_features(
    backbone: nn.Module,
    batches: Callable[[int, int], torch.Tensor],
    count: int,
    batch_size: int = 32,
    progress: Progress | None = None,
) -> np.ndarray:
    """Runs a frozen backbone over ``count`` inputs, made batch by batch on demand.

    Args:
        backbone: Returns pooled features, shape (batch, dim).
        batches: ``batches(start, stop)`` returns the preprocessed inputs ``start:stop``, shape
            (stop - start, 3, height, width). Views of any size work: the backbone pools.
        count: Number of inputs.
        batch_size: Inputs per forward pass. Typical 16-64.
        progress: Reports stage ``features`` over inputs.

    Returns:
        Shape (count, dim), float32, unit L2 norm (as :class:`skill.encoders.encoder.Encoder`
        returns).
    """
    backbone.eval()
    out = []
    for start in range(0, count, batch_size):
        stop = min(start + batch_size, count)
        out.append(F.normalize(backbone(batches(start, stop)).float(), dim=-1).numpy())
        if progress:
            progress("features", stop, count, "inputs")
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def cache_view_features(
    backbone: nn.Module,
    image_cache,
    rows: Sequence[int],
    views: Callable,
    seed: int = 0,
    batch_size: int = 32,
    progress: Progress | None = None,
) -> np.ndarray:
    """Frozen features of the views of cached photos (the self-supervised CPU recipe).

    Args:
        backbone: Frozen backbone returning pooled features.
        image_cache: A :class:`skill.train.data.ImageCache` (padded squares + foreground boxes).
        rows: Which cached photos to use.
        views: ``views(image, box, background, rng) -> list[PIL.Image]``, e.g.
            :class:`skill.train.variants.part_views.PartViews`; every photo must give the same count.
        seed: Photo ``rows[i]`` draws its views from ``default_rng(seed + rows[i])``.
        batch_size: Photos per forward pass (each contributes all its views).
        progress: Reports stage ``views`` over photos.

    Returns:
        Shape (len(rows), num_views, dim), float32, unit norm.
    """

    def view_tensors(start: int, stop: int) -> torch.Tensor:
        tensors = []
        for row in rows[start:stop]:
            rng = np.random.default_rng(seed + int(row))
            box = tuple(int(v) for v in image_cache.boxes[row])
            background = tuple(int(v) for v in image_cache.backgrounds[row])
            tensors += [
                normalize_image(v) for v in views(image_cache.image(row), box, background, rng)
            ]
        return torch.stack(tensors)

    per_photo = len(
        views(
            image_cache.image(rows[0]),
            tuple(int(v) for v in image_cache.boxes[rows[0]]),
            tuple(int(v) for v in image_cache.backgrounds[rows[0]]),
            np.random.default_rng(0),
        )
    )
    flat = extract_features(
        backbone,
        lambda start, stop: view_tensors(start // per_photo, stop // per_photo),
        len(rows) * per_photo,
        batch_size * per_photo,
        progress=progress and _per_photo(progress, per_photo, len(rows)),
    )
    return flat.reshape(len(rows), per_photo, -1)


def _per_photo(progress: Progress, per_photo: int, photos: int) -> Progress:
    """Reports inputs done as photos done, as stage ``views``."""

    def count(_stage: str, done: int, _total: int, unit: str = "inputs") -> None:
        progress("views", done // per_photo, photos, "photos")

    return count


def view_cache_path(
    feature_dir: str | os.PathLike, method: str, view_size: int, count: int, seed: int
) -> Path:
    """Where the frozen view features of one SSL budget are cached."""
    return Path(feature_dir) / f"views_{method}_{view_size}px_{count}img_seed{seed}.npz"
