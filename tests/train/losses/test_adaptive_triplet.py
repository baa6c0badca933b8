"""Weak classes, text vectors and the adaptive triplet loss against re-derivations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skill.train.losses.adaptive_triplet import (
    AdaptiveTripletLoss,
    text_vectors,
    tokenize,
    weak_class_ids,
)


def test_tokenize_drops_colour_words():
    assert tokenize("Slim Jeans, Dark Blue denim") == ["slim", "jeans", "dark"]


def test_weak_classes_group_titles_that_differ_only_in_colour():
    titles = ["Tilly top Black", "Tilly top white", "Tilly dress", "TILLY TOP"]
    types = ["Top", "Top", "Dress", "Top"]
    ids = weak_class_ids(titles, types)
    assert ids[0] == ids[1] == ids[3]
    assert ids[2] != ids[0]
    assert weak_class_ids(titles, ["Top", "Vest", "Dress", "Top"])[1] != ids[0]


def test_text_vectors_are_unit_tfidf():
    texts = ["jersey top straps", "jersey top", "wool coat", "nothing"]
    v = text_vectors(texts, min_count=1)
    assert v.shape[0] == 4
    np.testing.assert_allclose(np.linalg.norm(v[:3], axis=1), 1.0, atol=1e-6)
    similarity = v @ v.T
    assert similarity[0, 1] > similarity[0, 2] == pytest.approx(0.0)
    assert text_vectors(texts, min_count=2)[2].sum() == 0  # wool, coat appear once


@pytest.mark.parametrize("seed", [0, 1])
def test_adaptive_loss_matches_loops(seed):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(9, 6, generator=generator)
    classes = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 1])
    texts = torch.nn.functional.normalize(torch.rand(9, 4, generator=generator), dim=1)
    base, floor = 0.4, 0.05
    z = torch.nn.functional.normalize(x, dim=1).double().numpy()
    t = texts.double().numpy()
    losses = []
    for a in range(9):
        d = np.linalg.norm(z - z[a], axis=1)
        pos = [d[p] for p in range(9) if classes[p] == classes[a] and p != a]
        terms = [
            max(base * (1 - min(max(t[a] @ t[n], 0), 1)), floor) - d[n]
            for n in range(9)
            if classes[n] != classes[a]
        ]
        losses.append(max(max(pos) + max(terms), 0.0))
    loss = AdaptiveTripletLoss(base, floor)(x, classes, texts)
    assert loss.item() == pytest.approx(np.mean(losses), abs=1e-5)


def test_similar_text_lowers_the_loss():
    x = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.8, 0.3], [0.7, 0.4]])
    classes = torch.tensor([0, 0, 1, 1])
    same = torch.ones(4, 3) / 3**0.5
    different = torch.eye(4, 3)
    different[3] = torch.tensor([0.0, 0.0, 1.0])
    loss = AdaptiveTripletLoss(0.5, 0.0)
    assert loss(x, classes, same).item() < loss(x, classes, different).item()
