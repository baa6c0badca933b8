"""Fitting the whitening a design encoder ships as its linear head.

After training, PCA whitening (:mod:`skill.encoders.whitening`) of the teacher's features of
the training photos equalises the directions the features vary in, so the few that carry the
most variance (a silhouette, the photo's overall brightness) stop dominating the distances.

Example:
    >>> head = fit_teacher_whitening(teacher, config, train_items, bank, device)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from skill.encoders.embedding import embed_images
from skill.encoders.heads import ProjectionHead
from skill.encoders.whitening import fit_whitening, whitening_head
from skill.progress import Progress
from skill.train.dino.banks import build_run_photo_bank
from skill.train.dino.config import TrainConfig
from skill.train.dino.model import eval_preprocess, pooling_kwargs
from skill.train.export import encoder_from_model
from skill.train.multicrop import MultiCropModel
from skill.train.view_bank import ViewBank


@torch.no_grad()
def fit_teacher_whitening(
    teacher: MultiCropModel,
    config: TrainConfig,
    train_items: pd.DataFrame,
    bank: ViewBank | None,
    device: torch.device,
    progress: Progress | None = None,
) -> ProjectionHead:
    """PCA whitening of the teacher's features of the training photos, as a linear head.

    The photos are taken exactly as the exported encoder sees them: the plain photo views of
    the run's photo bank, or of a plain photo bank built for the purpose. With
    ``config.pool_stages`` the features are the pooled stages' too, and with
    ``config.polarity_views`` the sums of each photo's plain and inverted pass, which the bank's
    trunk maps do not hold, so the encoder runs over the training photos instead
    (:func:`_encoder_features`).

    Args:
        teacher: The trained teacher (its trunk must be frozen).
        config: The run; ``whiten_dim`` output dimensions.
        train_items: The training photos, for a plain photo bank when ``bank`` is not one.
        bank: The run's bank, if any.
        device: Where the teacher runs.
        progress: Reports the plain photo bank's stage when one is built.
    """
    if pooling_kwargs(config):
        features = _encoder_features(teacher, config, train_items, progress)
    else:
        features = _bank_features(teacher, config, train_items, bank, device, progress)
    return whitening_head(fit_whitening(features, min(config.whiten_dim, features.shape[1])))


@torch.no_grad()
def _bank_features(
    teacher: MultiCropModel,
    config: TrainConfig,
    train_items: pd.DataFrame,
    bank: ViewBank | None,
    device: torch.device,
    progress: Progress | None,
) -> np.ndarray:
    """The teacher's pooled features of the plain photo views of a photo bank, float64."""
    if bank is None or config.bank_source != "photos":
        bank = build_run_photo_bank(
            config, teacher, train_items, device, recolorings=0, progress=progress
        )
    was_training = teacher.training
    teacher.eval()
    features = []
    for start in range(0, len(bank), 256):
        maps = torch.from_numpy(np.asarray(bank.globals[start : start + 256, 0], np.float32))
        features.append(teacher.run_tail(maps.to(device)).cpu())
    teacher.train(was_training)
    return torch.cat(features).double().numpy()


def _encoder_features(
    teacher: MultiCropModel,
    config: TrainConfig,
    train_items: pd.DataFrame,
    progress: Progress | None,
) -> np.ndarray:
    """The training photos' features as the exported encoder computes them before its head
    (stages pooled, polarity views summed), float64."""
    was_training = teacher.training
    encoder = encoder_from_model(
        teacher,
        eval_preprocess(config),
        config.architecture,
        **pooling_kwargs(config),
    )
    paths = [config.images_path / p for p in train_items["image_path"]]
    result = embed_images(encoder, paths, progress=progress, runtime="auto")
    teacher.train(was_training)
    if result.failures:
        position, reason = result.failures[0]
        raise ValueError(f"cannot read training photo {paths[position]}: {reason}")
    return result.embeddings.astype(np.float64)
