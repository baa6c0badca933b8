"""What each colour-variant method learns from: classes (triplet, ATL) or views (parts, simclr)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from skill.train.losses.adaptive_triplet import AdaptiveTripletLoss
from skill.train.losses.triplet_loss import TripletLoss
from skill.train.variants.config import VariantConfig
from skill.train.variants.methods import VARIANT_METHODS, VariantMethod
from skill.train.variants.part_views import PartViews, RandomCropViews

ITEMS = pd.DataFrame(
    {
        "design_id": ["1", "1", "2", "2"],
        "color": ["Red", "Blue", "Red", "Black"],
        "prod_name": ["Top Ann Red", "Top Ann Blue", "Dress Bo", "Dress Bo Black"],
        "product_type_name": ["Top", "Top", "Dress", "Dress"],
        "detail_desc": ["jersey top", "jersey top", "long dress", "long dress"],
    }
)


def test_triplet_learns_design_ids_and_atl_only_text():
    config = VariantConfig(margin=0.3, mining="semi-hard")
    triplet = VARIANT_METHODS["triplet"].supervision(config, ITEMS)
    assert list(triplet.labels) == ["1", "1", "2", "2"] and triplet.colours == list(ITEMS["color"])
    assert isinstance(triplet.loss_fn, TripletLoss) and triplet.loss_fn.mining == "semi-hard"
    assert triplet.texts is None
    atl = VARIANT_METHODS["atl"].supervision(config, ITEMS.drop(columns="design_id"))
    assert atl.colours is None and isinstance(atl.loss_fn, AdaptiveTripletLoss)
    assert atl.labels[0] == atl.labels[1] and atl.labels[2] == atl.labels[3]  # colour words out
    assert atl.texts.shape[0] == 4 and torch.allclose(atl.texts.norm(dim=1), torch.ones(4))
    embeddings = torch.randn(4, 8, generator=torch.Generator().manual_seed(0))
    codes = atl.codes()
    assert torch.isfinite(atl.loss(embeddings, codes, atl.texts))
    assert torch.isfinite(triplet.loss(embeddings, triplet.codes(), None))


def test_contrastive_methods_build_their_views():
    config = VariantConfig(method="parts", views=3, view_size=40)
    parts = VARIANT_METHODS["parts"].views(config)
    assert isinstance(parts, PartViews) and parts.parts == ("whole", "upper", "lower")
    simclr = VARIANT_METHODS["simclr"].views(dataclasses.replace(config, method="simclr"))
    assert isinstance(simclr, RandomCropViews) and simclr.num_views == 3
    with pytest.raises(ValueError, match="5 views at most"):
        VARIANT_METHODS["parts"].views(dataclasses.replace(config, views=6))
    assert [m for m, spec in VARIANT_METHODS.items() if spec.supervised] == ["triplet", "atl"]


def test_a_method_has_supervision_or_views_not_both():
    with pytest.raises(ValueError, match="either"):
        VariantMethod("x", "y")
    assert np.all([spec.display_name for spec in VARIANT_METHODS.values()])
