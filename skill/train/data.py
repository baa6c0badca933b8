"""Training data: a pre-resized image cache of the training photos.

The split itself is :func:`skill.evaluation.splits.read_split`.

Decoding a 360x540 JPEG costs more than a small training view, so every training photo is
decoded once, padded to a square with its own border colour (the whole garment stays in view)
and stored in a ``uint8`` array of shape (n, size, size, 3) with its foreground box, see
:func:`build_image_cache`. The cache lives under ``data/`` (git-ignored): it holds photos.

Example:
    >>> cache = build_image_cache(train_items, images_dir, cache_dir, size=176)
    >>> dataset = ViewDataset(cache, views)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch.utils.data import Dataset

from skill.images.decode import load_image
from skill.images.foreground import estimate_foreground_box
from skill.images.preprocess import pad_to_square
from skill.progress import Progress


class ImageCache:
    """Pre-resized square photos and their foreground boxes.

    Attributes:
        images: Shape (n, size, size, 3), uint8 (a memory map when read from disk).
        boxes: Shape (n, 4), int: foreground ``(left, top, right, bottom)`` in cache pixels.
        backgrounds: Shape (n, 3), uint8: the border colour each photo was padded with.
    """

    def __init__(self, images: np.ndarray, boxes: np.ndarray, backgrounds: np.ndarray) -> None:
        if not len(images) == len(boxes) == len(backgrounds):
            raise ValueError("images, boxes and backgrounds must have the same length")
        self.images = images
        self.boxes = boxes
        self.backgrounds = backgrounds

    def __len__(self) -> int:
        return len(self.images)

    def image(self, index: int) -> Image.Image:
        """The cached photo as an RGB image."""
        return Image.fromarray(np.asarray(self.images[index]), "RGB")

    @classmethod
    def from_images(cls, images: list[Image.Image], size: int) -> ImageCache:
        """Pads and resizes in-memory images (tests, small catalogs)."""
        arrays, boxes, backgrounds = [], [], []
        for image in images:
            array, box, background = _prepare(image, size)
            arrays.append(array)
            boxes.append(box)
            backgrounds.append(background)
        return cls(np.stack(arrays), np.asarray(boxes), np.asarray(backgrounds, dtype=np.uint8))


def _prepare(image: Image.Image, size: int) -> tuple[np.ndarray, tuple, tuple]:
    square = pad_to_square(image.convert("RGB"), size)
    box, background = estimate_foreground_box(square)
    return np.asarray(square, dtype=np.uint8), box, background


def build_image_cache(
    items: pd.DataFrame,
    images_dir: str | os.PathLike,
    cache_dir: str | os.PathLike,
    size: int = 176,
    progress: Progress | None = None,
) -> ImageCache:
    """Decodes, pads and resizes every item's photo once; reuses the cache when it matches.

    Args:
        items: Item table with ``image_path`` relative to ``images_dir``.
        images_dir: Folder of the photos.
        cache_dir: Where ``images.npy``, ``boxes.npy``, ``backgrounds.npy`` and
            ``manifest.json`` go. Rebuilt when the image list or size differ.
        size: Side of the cached squares. Typical 1.1-1.4x the global view size.
        progress: Reports stage ``caching photos`` after each photo decoded.

    Returns:
        The cache, images memory-mapped read-only.
    """
    cache_dir = Path(cache_dir)
    paths = items["image_path"].tolist()
    manifest = {"size": size, "count": len(paths), "paths": paths}
    manifest_path = cache_dir / "manifest.json"
    if manifest_path.is_file() and json.loads(manifest_path.read_text()) == manifest:
        return _open_cache(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    images = np.lib.format.open_memmap(
        cache_dir / "images.npy", mode="w+", dtype=np.uint8, shape=(len(paths), size, size, 3)
    )
    boxes = np.zeros((len(paths), 4), dtype=np.int64)
    backgrounds = np.zeros((len(paths), 3), dtype=np.uint8)
    root = Path(images_dir)
    for i, path in enumerate(paths):
        image = load_image(root / path, draft_size=size)
        images[i], boxes[i], backgrounds[i] = _prepare(image, size)
        if progress:
            progress("caching photos", i + 1, len(paths))
    images.flush()
    del images
    np.save(cache_dir / "boxes.npy", boxes)
    np.save(cache_dir / "backgrounds.npy", backgrounds)
    manifest_path.write_text(json.dumps(manifest))
    return _open_cache(cache_dir)


def _open_cache(cache_dir: Path) -> ImageCache:
    return ImageCache(
        np.load(cache_dir / "images.npy", mmap_mode="r"),
        np.load(cache_dir / "boxes.npy"),
        np.load(cache_dir / "backgrounds.npy"),
    )


class ViewDataset(Dataset):
    """Multi-crop views of cached photos.

    Args:
        cache: The pre-resized photos.
        views: A callable ``views(image, box, background, rng) -> list[Tensor]`` such as
            :class:`skill.train.dino.views.SkillViews`.
        seed: Base seed; the views of item ``i`` in epoch ``e`` are drawn from
            ``seed + e * len(cache) + i``, so a resumed run sees the views it would have seen.
    """

    def __init__(self, cache: ImageCache, views, seed: int = 0) -> None:
        self.cache = cache
        self.views = views
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.cache)

    def __getitem__(self, index: int) -> list[torch.Tensor]:
        rng = np.random.default_rng(self.seed + self.epoch * len(self.cache) + index)
        box = tuple(int(v) for v in self.cache.boxes[index])
        background = tuple(int(v) for v in self.cache.backgrounds[index])
        return self.views(self.cache.image(index), box, background, rng)
