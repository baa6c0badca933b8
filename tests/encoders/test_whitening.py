"""PCA whitening: identity covariance on its training features, and the head computes it."""

import numpy as np
import pytest
import torch

from skill.encoders.whitening import fit_whitening, whitening_head


def _features(n=400, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.geomspace(10.0, 0.1, dim)  # strongly anisotropic, like pooled CNN features
    return rng.normal(size=(n, dim)) * scales + 5.0


def test_whitened_training_features_have_identity_covariance():
    x = _features()
    whitening = fit_whitening(x, eps=0.0)
    y = whitening.apply(x).astype(np.float64)
    assert np.allclose(y.mean(0), 0.0, atol=1e-5)
    assert np.allclose(np.cov(y.T, bias=True), np.eye(x.shape[1]), atol=1e-4)


def test_dim_keeps_the_largest_variance_axes_in_order():
    whitening = fit_whitening(_features(), dim=5)
    assert whitening.projection.shape == (16, 5)
    assert np.all(np.diff(whitening.variances) <= 0)


def test_head_matches_the_direct_formula_on_raw_features():
    x = _features(seed=1)
    whitening = fit_whitening(x, dim=12)
    head = whitening_head(whitening)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    expected = (unit - unit.mean(0)) @ whitening.projection
    got = head(torch.from_numpy(x).float()).detach().numpy()
    assert np.allclose(got, expected, atol=1e-3 * np.abs(expected).max())
    assert head.spec["type"] == "linear" and head.spec["normalize_input"]


def test_whitening_lifts_retrieval_drowned_by_a_shared_direction():
    # Two photos per design differ by small noise; one loud shared direction varies across
    # all photos and hides the design. Whitening equalises it, so nearest neighbours recover
    # the design.
    rng = np.random.default_rng(0)
    designs = rng.normal(size=(200, 32)) * 0.3
    photos = np.repeat(designs, 2, axis=0) + rng.normal(size=(400, 32)) * 0.05
    photos[:, 0] += rng.normal(size=400) * 20.0
    photos[:, 1] += 30.0

    def hit1(e):
        e = e / np.linalg.norm(e, axis=1, keepdims=True)
        sim = e @ e.T
        np.fill_diagonal(sim, -np.inf)
        return float(np.mean(sim.argmax(1) // 2 == np.arange(400) // 2))

    assert hit1(fit_whitening(photos).apply(photos)) > hit1(photos) + 0.3


@pytest.mark.parametrize("bad", [np.zeros((1, 4)), np.zeros(4)])
def test_rejects_too_few_photos(bad):
    with pytest.raises(ValueError):
        fit_whitening(bad)


def test_rejects_dim_out_of_range():
    with pytest.raises(ValueError):
        fit_whitening(_features(), dim=17)
