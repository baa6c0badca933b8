"""What sets the colour-variant methods apart: what each learns from, and how it is named.

A *metric* method learns from classes of photos (:class:`Supervision`: classes, the loss, and
optionally colours for the sampler and texts for an adaptive margin); a *contrastive* method
learns from views of each photo (a view space; NT-Xent, :mod:`skill.train.losses.nt_xent`).
Every recipe (``cpu``, ``bank``, ``gpu``) runs either kind, so a new method is its loss or view
space and one row of :data:`VARIANT_METHODS`.

This module imports no torch, so the configs and the command line can list the methods
cheaply; losses and views are imported when one is built.

Example:
    >>> method = VARIANT_METHODS[config.method]
    >>> supervision = method.supervision(config, train_items)  # metric methods
    >>> views = method.views(config)                             # contrastive methods
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import torch

    from skill.train.variants.config import VariantConfig
    from skill.train.variants.part_views import PartViews, RandomCropViews


@dataclass(frozen=True)
class Supervision:
    """What a metric method learns from.

    Attributes:
        labels: Shape (n,): the class of each training photo (design ids, or weak classes).
        colours: Colour of each photo, so the P x K sampler takes different colours of a class
            first; None ignores colour.
        loss_fn: ``loss_fn(embeddings, codes)`` or, with ``texts``, ``loss_fn(embeddings,
            codes, texts)``.
        texts: Shape (n, vocabulary): unit-norm text vectors for an adaptive margin, or None.
    """

    labels: np.ndarray
    colours: list[str] | None
    loss_fn: Callable[..., torch.Tensor]
    texts: torch.Tensor | None = None

    def codes(self) -> torch.Tensor:
        """Shape (n,): the labels as integer codes."""
        import numpy as np
        import torch

        return torch.from_numpy(np.unique(self.labels.astype(str), return_inverse=True)[1])

    def loss(
        self, embeddings: torch.Tensor, codes: torch.Tensor, texts: torch.Tensor | None
    ) -> torch.Tensor:
        """The loss of a batch; ``codes`` and ``texts`` are the batch's rows."""
        if texts is None:
            return self.loss_fn(embeddings, codes)
        return self.loss_fn(embeddings, codes, texts)


def design_supervision(config: VariantConfig, items: pd.DataFrame) -> Supervision:
    """``triplet``: design ids are the classes; colours steer the sampler; triplet loss with
    ``config.margin`` and ``config.mining`` (:mod:`skill.train.losses.triplet_loss`)."""
    from skill.train.losses.triplet_loss import TripletLoss

    return Supervision(
        labels=items["design_id"].astype(str).to_numpy(),
        colours=items["color"].astype(str).tolist(),
        loss_fn=TripletLoss(config.margin, config.mining),
    )


def title_supervision(config: VariantConfig, items: pd.DataFrame) -> Supervision:
    """``atl``: weak classes from the title and product type, no colours and no design ids;
    TF-IDF vectors of title, type and description set an adaptive margin
    (:mod:`skill.train.losses.adaptive_triplet`)."""
    import torch

    from skill.train.losses.adaptive_triplet import (
        AdaptiveTripletLoss,
        text_vectors,
        weak_class_ids,
    )

    texts = text_vectors(
        items["prod_name"] + " " + items["product_type_name"] + " " + items["detail_desc"]
    )
    return Supervision(
        labels=weak_class_ids(items["prod_name"], items["product_type_name"]),
        colours=None,
        loss_fn=AdaptiveTripletLoss(config.margin),
        texts=torch.from_numpy(texts),
    )


def part_views(config: VariantConfig) -> PartViews:
    """``parts``: ``config.views`` fixed parts of the product (whole box first), each
    recoloured, of side ``config.view_size``."""
    from skill.train.variants.part_views import PARTS, PartViews

    if config.views > len(PARTS):
        raise ValueError(f"parts has {len(PARTS)} views at most, got views={config.views}")
    return PartViews(config.view_size, parts=PARTS[: config.views])


def random_crop_views(config: VariantConfig) -> RandomCropViews:
    """``simclr``: ``config.views`` random crops with colour jitter, of side
    ``config.view_size``."""
    from skill.train.variants.part_views import RandomCropViews

    return RandomCropViews(config.view_size, num_views=config.views)


@dataclass(frozen=True)
class VariantMethod:
    """One colour-variant method: a metric one (``supervision``) or a contrastive one
    (``views``).

    Attributes:
        display_name: The encoder's name in the app.
        loss_name: How the model card names the training signal.
        supervision: Builds the classes and loss from the training items (metric methods).
        views: Builds the view space (contrastive methods).
        fixed_parts: The views are fixed parts of the product, so one part can be paired with
            itself in two recolourings (``part_pairs="same"``).
    """

    display_name: str
    loss_name: str
    supervision: Callable[[VariantConfig, pd.DataFrame], Supervision] | None = None
    views: Callable[[VariantConfig], PartViews | RandomCropViews] | None = None
    fixed_parts: bool = False

    def __post_init__(self) -> None:
        if (self.supervision is None) == (self.views is None):
            raise ValueError("a method has either supervision or views")

    @property
    def supervised(self) -> bool:
        """Learns from classes of photos (else from views of each photo)."""
        return self.supervision is not None


VARIANT_METHODS: dict[str, VariantMethod] = {
    "triplet": VariantMethod(
        "Colour variants (triplet)",
        "the triplet loss on design ids",
        supervision=design_supervision,
    ),
    "atl": VariantMethod(
        "Colour variants (weak text ATL)",
        "the adaptive triplet loss on classes from product titles",
        supervision=title_supervision,
    ),
    "parts": VariantMethod(
        "Colour variants (part contrastive)",
        "NT-Xent on fixed garment parts",
        views=part_views,
        fixed_parts=True,
    ),
    "simclr": VariantMethod(
        "Colour variants (random-crop SimCLR)",
        "NT-Xent on random crops (SimCLR)",
        views=random_crop_views,
    ),
}
"""The colour-variant methods by name; ``VariantConfig.method`` is one of these keys."""
