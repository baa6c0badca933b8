"""Tests of skill.attributes.model: head shapes, masked pooling, the shared-trunk model."""

import pytest
import torch

from skill.attributes.model import (
    AttributeHead,
    HeadConfig,
    SharedTrunkModel,
    masked_pool,
    split_rows,
)


def test_masked_pool_is_the_weighted_mean_and_falls_back_to_the_mean():
    features = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
    weights = torch.zeros(2, 2, 2)
    weights[0, 0, 1] = 1.0  # one cell
    pooled = masked_pool(features, weights)
    torch.testing.assert_close(pooled[0], features[0, :, 0, 1], atol=1e-2, rtol=0)
    torch.testing.assert_close(pooled[1], features[1].mean((1, 2)))


@pytest.mark.parametrize("kind", ["pooled", "masked", "attention"])
def test_heads_give_one_logit_per_label(kind):
    head = AttributeHead(HeadConfig(num_labels=7, kind=kind, in_channels=16, localiser_channels=4))
    logits, where = head(torch.rand(3, 16, 5, 5))
    assert logits.shape == (3, 7)
    assert (where is None) == (kind == "pooled")
    if where is not None:
        assert where.shape == (3, 5, 5)


def test_a_given_map_replaces_the_learned_one():
    head = AttributeHead(HeadConfig(num_labels=2, kind="masked", in_channels=4, dropout=0.0)).eval()
    features = torch.zeros(1, 4, 2, 2)
    features[0, :, 0, 0] = 5.0  # the product sits in one cell
    only_product = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    only_background = 1 - only_product
    with_product, _ = head(features, only_product)
    without, _ = head(features, only_background)
    expected = head.classifier(torch.full((1, 4), 5.0 / (1 + 4e-3), dtype=torch.float32))
    torch.testing.assert_close(with_product, expected, atol=1e-2, rtol=0)
    assert not torch.allclose(with_product, without)


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        HeadConfig(num_labels=3, kind="transformer")
    with pytest.raises(ValueError, match="num_labels"):
        HeadConfig(num_labels=0)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, pooled_stages, polarity",
    [("luminance-lite0", (), False), ("skill-design", (3, 4, 5, 6), True)],
)
def test_the_shared_model_embeds_as_the_encoder_and_predicts_as_the_network(
    attribute_model_dir, name, pooled_stages, polarity
):
    from skill.attributes.checkpoint import load_attribute_model
    from skill.attributes.trunk import shares_trunk
    from skill.encoders.registry import create_encoder

    encoder = create_encoder(name)
    assert encoder.pool_stages == pooled_stages and shares_trunk(encoder)
    assert encoder.polarity_views is polarity  # the attributes read the plain photos' map
    model = load_attribute_model(attribute_model_dir)
    network = model.network()
    shared = SharedTrunkModel(encoder, model.network(with_trunk=False), 5, model.name, model.digest)
    images = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        embeddings, probabilities = split_rows(shared(images), encoder.embedding_dim)
        torch.testing.assert_close(embeddings, encoder(images), atol=1e-5, rtol=0)
        torch.testing.assert_close(probabilities, network(images), atol=1e-5, rtol=0)
    assert shared.embedding_dim == encoder.embedding_dim + len(model.labels)
