"""Heads trained on frozen features: metric heads learn designs across colours, contrastive
heads pull the views of a photo together; both resume from their state."""

import dataclasses

import numpy as np

from skill.evaluation.metrics import colour_variant_retrieval
from skill.train.losses.triplet_loss import TripletLoss
from skill.train.variants.config import VariantConfig
from skill.train.variants.head_training import (
    embed_features,
    train_contrastive_head,
    train_metric_head,
)
from skill.train.variants.methods import Supervision


def _clusters(n_designs: int = 12, colours: int = 3, dim: int = 16, seed: int = 0):
    """Features = design direction + a strong shared 'colour' direction + noise."""
    rng = np.random.default_rng(seed)
    design = rng.normal(size=(n_designs, dim))
    colour = rng.normal(size=(colours, dim)) * 3
    x = np.stack(
        [
            design[d] + colour[c] + 0.3 * rng.normal(size=dim)
            for d in range(n_designs)
            for c in range(colours)
        ]
    )
    labels = np.repeat(np.arange(n_designs), colours).astype(str)
    names = [f"c{c}" for _ in range(n_designs) for c in range(colours)]
    return x.astype(np.float32), labels, names


def test_metric_head_learns_designs_across_colours_and_resumes(tmp_path):
    x, labels, colours = _clusters()
    config = VariantConfig(
        embedding_dim=8, hidden_dim=32, epochs=20, batch_classes=4, per_class=3, lr=3e-3, margin=0.3
    )
    supervision = Supervision(labels, colours, TripletLoss(config.margin, config.mining))
    before = colour_variant_retrieval(x / np.linalg.norm(x, axis=1, keepdims=True), labels, colours)
    head = train_metric_head(x, supervision, config, state_dir=tmp_path / "state")
    after = colour_variant_retrieval(embed_features(head, x), labels, colours)
    assert after["mAP"] > before["mAP"] + 0.2
    # a finished state resumes to the same head without training further
    again = train_metric_head(x, supervision, config, state_dir=tmp_path / "state")
    np.testing.assert_allclose(embed_features(again, x), embed_features(head, x), atol=1e-6)
    longer = dataclasses.replace(config, epochs=21)
    records, reports = [], []
    train_metric_head(
        x,
        supervision,
        longer,
        state_dir=tmp_path / "state",
        progress=lambda *report: reports.append(report),
        log=records.append,
    )
    assert [r["epoch"] for r in records] == [21]
    assert reports == [("epochs", 21, 21, "epochs")]


def test_contrastive_head_pulls_views_of_a_photo_together():
    rng = np.random.default_rng(0)
    photos = rng.normal(size=(64, 1, 16))
    views = (photos + 0.8 * rng.normal(size=(64, 4, 16))).astype(np.float32)
    config = VariantConfig(
        method="parts",
        embedding_dim=8,
        hidden_dim=32,
        epochs=20,
        batch_size=32,
        lr=3e-3,
        temperature=0.2,
    )

    def view_agreement(embed):
        z = embed(views.reshape(-1, 16)).reshape(64, 4, -1)
        same = np.einsum("nvd,nwd->n", z[:, :1], z[:, 1:]).mean()
        other = np.einsum("nvd,mwd->nm", z[:, :1], z[:, 1:]).mean()
        return same - other

    raw = view_agreement(lambda a: a / np.linalg.norm(a, axis=1, keepdims=True))
    head = train_contrastive_head(views, config)
    assert view_agreement(lambda a: embed_features(head, a)) > raw
