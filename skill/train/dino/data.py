"""The photos a design run reads: its design split and, for fresh views, the image cache.

Example:
    >>> photos = prepare_photos(config)
    >>> photos.train_items, photos.val_items, photos.cache
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from skill.evaluation.splits import read_run_split
from skill.progress import Progress
from skill.train.data import ImageCache, build_image_cache
from skill.train.dino.config import TrainConfig


@dataclass
class RunPhotos:
    """What a design run trains and validates on; None where the run does not need it.

    Attributes:
        train_items: Item table of the training photos (photo banks, whitening, image cache).
        val_items: Item table of the validation photos (evaluation).
        cache: Pre-resized training photos (runs that draw fresh views or a view bank).
    """

    train_items: pd.DataFrame | None
    val_items: pd.DataFrame | None
    cache: ImageCache | None


def split_items(
    config: TrainConfig,
    train_items: pd.DataFrame | None = None,
    val_items: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The given item tables, the run's design split filling in whichever is None."""
    default_train, default_val = read_run_split(
        config.images_path,
        config.csv_name,
        config.val_fraction,
        config.split_seed,
        config.tune_fraction,
        config.evaluate_on,
    )
    return (
        default_train if train_items is None else train_items,
        default_val if val_items is None else val_items,
    )


def prepare_photos(
    config: TrainConfig,
    cache: ImageCache | None = None,
    train_items: pd.DataFrame | None = None,
    val_items: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> RunPhotos:
    """Fills in what the run needs and was not given, reading the split only when needed.

    Args:
        config: The run.
        cache: Training photos already cached; else built from the training designs under
            ``config.cache_path`` when the run draws views from images.
        train_items: Training item table; else the training designs when a photo bank or
            whitening needs it.
        val_items: Validation item table; else the held-out designs when the run evaluates.
        progress: Reports the image cache's stage.
    """
    photos = config.bank_source == "photos"
    needs_cache = cache is None and not photos
    needs_items = (photos or config.whiten_dim) and train_items is None
    needs_val = val_items is None and (config.eval_every or config.eval_at_end)
    if needs_cache or needs_items or needs_val:
        train_items, val_items = split_items(config, train_items, val_items)
    if needs_cache:
        cache = build_image_cache(
            train_items, config.images_path, config.cache_path, config.cache_size, progress
        )
    return RunPhotos(train_items, val_items, cache)
