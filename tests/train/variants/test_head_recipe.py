"""The ``cpu`` recipe: the shipped encoder embeds as the head did on cached features."""

import numpy as np
import pytest
from PIL import Image

from skill.encoders.embedding import embed_images
from skill.encoders.encoder import load_encoder
from skill.train.variants.config import VariantConfig
from skill.train.variants.data import lite0_encoder
from skill.train.variants.export import export_variant_encoder
from skill.train.variants.head_recipe import head_variant
from skill.train.variants.head_training import create_head, embed_features


@pytest.mark.slow
def test_exported_cpu_encoder_equals_head_on_cached_features(tmp_path):
    """The shipped encoder (backbone + head) gives what the head gave on cached features."""
    config = VariantConfig(input_size=96, embedding_dim=16, hidden_dim=32)
    rng = np.random.default_rng(0)
    photos = [Image.fromarray(rng.integers(0, 255, (80, 60, 3), dtype=np.uint8)) for _ in range(3)]
    features = embed_images(lite0_encoder(config), photos).embeddings
    head = create_head(config)
    folder = export_variant_encoder(head, config, {"hit@1": 0.5}, tmp_path / "encoder")
    encoder = load_encoder(folder)  # strict
    assert encoder.preprocess.input_size == 96
    assert encoder.info.config["training"]["backbone"].startswith("frozen")
    assert encoder.info.display_name == "Colour variants (triplet)"
    np.testing.assert_allclose(
        embed_images(encoder, photos).embeddings, embed_features(head, features), atol=1e-4
    )


def test_the_cpu_recipe_refuses_another_recipe():
    with pytest.raises(ValueError, match="cpu recipe"):
        head_variant(VariantConfig(recipe="bank", embedding_dim=0))
