"""Tests of skill.train.dino.neighbours and the partner views of BankDataset."""

import numpy as np
import pytest
import torch

from skill.train.dino.banks import BankDataset
from skill.train.dino.neighbours import mutual_partners


def _unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_mutual_partners_match_a_brute_force_search():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, 8))
    x = _unit(np.repeat(centres, 2, axis=0) + 0.3 * rng.normal(size=(80, 8)))
    partners = mutual_partners(x, quantile=0.0, chunk_size=7)
    scores = x @ x.T
    np.fill_diagonal(scores, -np.inf)
    nearest = scores.argmax(axis=1)
    for i in range(len(x)):
        expected = nearest[i] if nearest[nearest[i]] == i else -1
        assert partners[i] == expected
    kept = partners >= 0
    assert kept.any() and (partners[partners[kept]] == np.flatnonzero(kept)).all()  # symmetric
    # Most mutual pairs are the two copies of one centre.
    assert np.mean(partners[kept] // 2 == np.flatnonzero(kept) // 2) > 0.8
    # A higher quantile keeps fewer pairs, still symmetric.
    fewer = mutual_partners(x, quantile=0.6)
    assert 0 < (fewer >= 0).sum() < kept.sum()
    assert (fewer[fewer[fewer >= 0]] == np.flatnonzero(fewer >= 0)).all()
    with pytest.raises(ValueError):
        mutual_partners(x, quantile=1.0)


class _Bank:
    """Photo i's global view j is filled with 10 * i + j."""

    def __init__(self, n=8, views=4):
        self.globals = np.arange(n)[:, None, None, None, None] * 10 + np.arange(views)[
            None, :, None, None, None
        ] * np.ones((n, views, 1, 2, 2))
        self.locals = np.zeros((n, 0, 1, 2, 2))

    def __len__(self):
        return len(self.globals)

    def draw(self, photos, num_local, rng, plain=0):
        photos = np.asarray(photos)
        return [torch.from_numpy(self.globals[photos, v].astype(np.float32)) for v in (0, 1)]


def test_partner_views_replace_the_second_view():
    partners = np.array([1, 0, -1, -1, 5, 4, -1, -1])
    dataset = BankDataset(_Bank(), 0, plain=0, partners=partners, partner_share=1.0)
    (views,) = list(dataset.batches(np.arange(8), 8, seed=0))
    first, second = views[0][:, 0, 0, 0].tolist(), views[1][:, 0, 0, 0].tolist()
    assert first == [0, 10, 20, 30, 40, 50, 60, 70]
    assert second == [10, 0, 21, 31, 50, 40, 61, 71]  # partners' first views; others their own
    plain = BankDataset(_Bank(), 0, plain=0, partners=partners, partner_share=0.0)
    (views,) = list(plain.batches(np.arange(8), 8, seed=0))
    assert views[1][:, 0, 0, 0].tolist() == [1, 11, 21, 31, 41, 51, 61, 71]
