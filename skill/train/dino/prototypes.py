"""Seeding DINO's prototypes with embeddings of training photos.

A randomly initialised prototype layer gives the teacher near-uniform targets, and DINO needs
thousands of steps before they mean anything; far more than a CPU budget allows. Seeding each
prototype with one photo's (unaugmented) embedding makes the teacher's targets "which training
photos does this view resemble" from the first step, so the student starts learning the
invariances of its views at once (a k-means-style initialisation, as in SwAV/DeepCluster,
without the iterations).

Example:
    >>> init_prototypes(student, cache, config, device)            # from cached photos
    >>> init_prototypes_from_maps(student, bank.globals, config, device)  # from a photo bank
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from PIL import Image

from skill.train.augment import normalize_image
from skill.train.data import ImageCache
from skill.train.dino.config import TrainConfig
from skill.train.multicrop import MultiCropModel


@torch.no_grad()
def seed_prototypes(model: MultiCropModel, trunk_batches: Iterable[torch.Tensor]) -> None:
    """Sets the prototype layer to the unit head embeddings of the photos whose trunk maps
    ``trunk_batches`` yields (drawn lazily, with the model in eval mode)."""
    was_training = model.training
    model.eval()
    directions = [
        torch.nn.functional.normalize(model.head.layers(model.run_tail(maps)), dim=-1)
        for maps in trunk_batches
    ]
    model.head.last_layer.parametrizations.weight.original1.copy_(torch.cat(directions))
    model.train(was_training)


@torch.no_grad()
def init_prototypes(
    model: MultiCropModel, cache: ImageCache, config: TrainConfig, device: torch.device
) -> None:
    """Sets the prototypes to the head's embeddings of ``out_dim`` random cached training
    photos, each at the global view size (see module docstring)."""
    rng = np.random.default_rng(config.seed)
    chosen = rng.choice(len(cache), size=config.out_dim, replace=len(cache) < config.out_dim)
    size = config.batch_size
    seed_prototypes(
        model,
        (
            model.run_trunk(
                torch.stack(
                    [normalize_image(_photo(cache, int(i), config)) for i in chosen[s : s + size]]
                ).to(device)
            )
            for s in range(0, len(chosen), size)
        ),
    )


@torch.no_grad()
def init_prototypes_from_maps(
    model: MultiCropModel, maps: np.ndarray, config: TrainConfig, device: torch.device
) -> None:
    """:func:`init_prototypes` from stored trunk maps: the head embeddings of ``out_dim``
    random training photos' plain view (``maps[:, 0]``)."""
    rng = np.random.default_rng(config.seed)
    chosen = np.sort(rng.choice(len(maps), size=config.out_dim, replace=len(maps) < config.out_dim))
    seed_prototypes(
        model,
        (
            torch.from_numpy(np.asarray(maps[chosen[s : s + 256], 0], np.float32)).to(device)
            for s in range(0, len(chosen), 256)
        ),
    )


def _photo(cache: ImageCache, index: int, config: TrainConfig) -> Image.Image:
    """A cached photo at the global view size, grey when the encoder is luminance-only."""
    image = cache.image(index).resize((config.global_size, config.global_size))
    return image.convert("L").convert("RGB") if config.input_grayscale else image
