"""Prototype seeding: each prototype starts at one training photo's head embedding."""

import numpy as np
import torch

from skill.train.augment import normalize_image
from skill.train.data import ImageCache
from skill.train.dino.model import create_model
from skill.train.dino.prototypes import init_prototypes, init_prototypes_from_maps
from tests.shapes import draw_dresses_and_trousers


def test_prototypes_start_at_training_photos(design_config):
    cache = ImageCache.from_images(draw_dresses_and_trousers(4), size=40)
    config = design_config(out_dim=4)
    model = create_model(config)
    init_prototypes(model, cache, config, torch.device("cpu"))
    chosen = np.random.default_rng(config.seed).choice(4, size=4, replace=False)
    model.eval()
    with torch.no_grad():
        batch = torch.stack([normalize_image(cache.image(int(i)).resize((32, 32))) for i in chosen])
        logits = model.head(model.run_tail(model.run_trunk(batch)))
    assert torch.equal(logits.argmax(-1), torch.arange(4))
    assert torch.allclose(logits.diagonal(), torch.ones(4), atol=1e-5)


def test_prototypes_from_stored_maps_use_the_plain_view(design_config):
    config = design_config(out_dim=3)
    model = create_model(config)
    cache = ImageCache.from_images(draw_dresses_and_trousers(4), size=40)
    photos = torch.stack([normalize_image(cache.image(i).resize((32, 32))) for i in range(4)])
    with torch.no_grad():
        plain = model.run_trunk(photos).numpy()
    maps = np.stack([plain, np.zeros_like(plain)], axis=1)  # (photos, views, C, h, w)
    init_prototypes_from_maps(model, maps, config, torch.device("cpu"))
    chosen = np.sort(np.random.default_rng(config.seed).choice(4, size=3, replace=False))
    model.eval()
    with torch.no_grad():
        logits = model.head(model.run_tail(torch.from_numpy(plain[chosen])))
    assert torch.allclose(logits.diagonal(), torch.ones(3), atol=1e-5)
