"""The stored trunk maps a design run trains on: its view bank or photo bank, and batches of them.

A design run with a frozen trunk runs the trunk once over stored views
(:mod:`skill.train.view_bank`) and trains only the tail. Banks live under ``config.cache_path``
and are named by what made them, so runs that share the views, the photos and the trunk share
one bank (SkiLL and the supervised ``bank`` recipe share the plain photo bank).

Example:
    >>> bank = build_run_photo_bank(config, student, train_items, device)
    >>> for views in BankDataset(bank, num_local=0, plain=2).batches(order, 64, seed=0):
    ...     ...
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from skill.progress import Progress
from skill.train.augment import GrayscaleViews
from skill.train.data import ImageCache
from skill.train.dino.config import TrainConfig
from skill.train.dino.methods import DESIGN_METHODS
from skill.train.dino.model import eval_preprocess
from skill.train.multicrop import MultiCropModel
from skill.train.view_bank import (
    Trunk,
    ViewBank,
    build_photo_bank,
    build_view_bank,
    onnx_trunk,
    photo_bank_folder,
)


def create_views(config: TrainConfig):
    """The multi-crop view space of ``config.method`` (grey last when ``input_grayscale``)."""
    views = DESIGN_METHODS[config.method].views(config)
    return GrayscaleViews(views) if config.input_grayscale else views


def describe_views(views) -> dict[str, Any]:
    """The settings of a view space, as JSON-able values (for the bank's ``bank.json``)."""
    if isinstance(views, GrayscaleViews):
        return {"grayscale": True, **describe_views(views.views)}
    return {k: v for k, v in vars(views).items() if not k.startswith("_")}


class BankDataset:
    """Batches of stored trunk maps (:class:`skill.train.view_bank.ViewBank`); ``plain`` as in
    :meth:`~skill.train.view_bank.ViewBank.draw`.

    With ``partners`` set (:func:`skill.train.dino.neighbours.mutual_partners`), a share
    ``partner_share`` of the photos that have a partner get the partner's first view as their
    second view: a pair of two photos instead of two views of one.
    """

    def __init__(
        self,
        bank: ViewBank,
        num_local: int,
        plain: int = 0,
        partners: np.ndarray | None = None,
        partner_share: float = 0.0,
    ) -> None:
        self.bank = bank
        self.num_local = num_local
        self.plain = plain
        self.partners = partners
        self.partner_share = partner_share

    def __len__(self) -> int:
        return len(self.bank)

    def batches(self, order: np.ndarray, batch_size: int, seed: int):
        """Yields view lists like the image loader's, drawn reproducibly from ``seed``."""
        rng = np.random.default_rng(seed)
        for start in range(0, len(order) - batch_size + 1, batch_size):
            photos = np.sort(order[start : start + batch_size])
            views = self.bank.draw(photos, self.num_local, rng, plain=self.plain)
            if self.partners is not None and self.partner_share > 0:
                paired = (self.partners[photos] >= 0) & (
                    rng.random(len(photos)) < self.partner_share
                )
                if paired.any():
                    theirs = self.bank.draw(self.partners[photos[paired]], 0, rng, plain=self.plain)
                    views[1][torch.from_numpy(paired)] = theirs[0]
            yield views


def bank_trunk(config: TrainConfig, model: MultiCropModel, device: torch.device) -> Trunk:
    """The frozen trunk as banks run it: ONNX Runtime on a CPU, the model on a GPU."""
    if device.type == "cpu":
        return onnx_trunk(model.trunk_modules(), config.cache_path / "onnx")

    def trunk(images: torch.Tensor) -> torch.Tensor:
        return model.run_trunk(images.to(device)).cpu()

    return trunk


def build_run_bank(
    config: TrainConfig,
    model: MultiCropModel,
    cache: ImageCache,
    device: torch.device,
    progress: Progress | None = None,
) -> ViewBank:
    """Builds (or reopens) the view bank of ``config``'s views under ``config.cache_path``.

    The bank depends only on the views, the photos and the frozen trunk, so runs that share
    them share one bank.
    """
    views = create_views(config)
    settings = {
        "method": config.method,
        "view_space": describe_views(views),
        "architecture": config.architecture,
        "pretrained": config.pretrained,
        "frozen_stages": config.frozen_stages,
    }
    grey = "-gray" if config.input_grayscale else ""
    folder = config.cache_path / f"bank-{config.method}{grey}-r{config.view_bank_rounds}"
    return build_view_bank(
        cache,
        views,
        bank_trunk(config, model, device),
        config.view_bank_rounds,
        folder,
        settings=settings,
        seed=config.seed,
        progress=progress,
    )


def build_run_photo_bank(
    config: TrainConfig,
    model: MultiCropModel,
    train_items: pd.DataFrame,
    device: torch.device,
    recolorings: int | None = None,
    progress: Progress | None = None,
) -> ViewBank:
    """Builds (or reopens) the photo bank of ``config`` under ``config.cache_path``.

    ``recolorings`` (default ``config.photo_recolorings``) copies of each photo are recoloured
    by the method's colour space; 0 stores only the photo and its mirror.
    """
    recolorings = config.photo_recolorings if recolorings is None else recolorings
    space = DESIGN_METHODS[config.method].views(config)
    settings = {
        "architecture": config.architecture,
        "pretrained": config.pretrained,
        "frozen_stages": config.frozen_stages,
    }
    if recolorings:
        settings["colour_space"] = describe_views(space)
    return build_photo_bank(
        train_items,
        config.images_path,
        eval_preprocess(config),
        bank_trunk(config, model, device),
        photo_bank_folder(
            config.cache_path,
            config.frozen_stages,
            config.input_grayscale,
            config.method,
            recolorings,
            config.seed,
        ),
        settings=settings,
        progress=progress,
        recolor=space.recolor_view if recolorings else None,
        recolorings=recolorings,
        seed=config.seed,
    )
