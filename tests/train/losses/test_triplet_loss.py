"""Triplet losses and the P x K sampler against direct re-derivations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from skill.train.losses.triplet_loss import TripletLoss, pairwise_distances
from skill.train.variants.pk_sampler import PKSampler
from tests.shapes import write_articles_catalog


def _batch(seed: int = 0, n_classes: int = 4, per_class: int = 3, dim: int = 5):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_classes * per_class, dim, generator=generator)
    labels = torch.arange(n_classes).repeat_interleave(per_class)
    return x, labels


def _distances(x: torch.Tensor) -> np.ndarray:
    z = (x / x.norm(dim=1, keepdim=True)).numpy().astype(np.float64)
    return np.sqrt(np.maximum(((z[:, None, :] - z[None, :, :]) ** 2).sum(-1), 0.0))


def test_pairwise_distances_match_numpy():
    x, _ = _batch()
    np.testing.assert_allclose(pairwise_distances(x).numpy(), _distances(x), atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_hard_matches_loops(seed):
    x, labels = _batch(seed)
    d, y, margin = _distances(x), labels.numpy(), 0.3
    losses = []
    for a in range(len(y)):
        pos = [d[a, p] for p in range(len(y)) if y[p] == y[a] and p != a]
        neg = [d[a, n] for n in range(len(y)) if y[n] != y[a]]
        losses.append(max(max(pos) - min(neg) + margin, 0.0))
    loss = TripletLoss(margin, "batch-hard")(x, labels)
    assert loss.item() == pytest.approx(np.mean(losses), abs=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_semi_hard_matches_loops(seed):
    x, labels = _batch(seed)
    d, y, margin = _distances(x), labels.numpy(), 0.5
    losses = []
    for a, p in itertools.permutations(range(len(y)), 2):
        if y[a] != y[p]:
            continue
        negatives = [d[a, n] for n in range(len(y)) if y[n] != y[a]]
        farther = [v for v in negatives if v > d[a, p]]
        chosen = min(farther) if farther else max(negatives)
        losses.append(max(d[a, p] - chosen + margin, 0.0))
    loss = TripletLoss(margin, "semi-hard")(x, labels)
    assert loss.item() == pytest.approx(np.mean(losses), abs=1e-5)


def test_loss_is_zero_when_classes_are_separated_and_gradients_are_finite():
    centres = torch.eye(4)
    x = centres.repeat_interleave(3, dim=0) + 0.001 * torch.randn(12, 4)
    labels = torch.arange(4).repeat_interleave(3)
    for mining in ("batch-hard", "semi-hard"):
        assert TripletLoss(0.2, mining)(x, labels).item() == pytest.approx(0.0, abs=1e-6)
    x = torch.cat([torch.ones(2, 4), torch.randn(2, 4)]).requires_grad_()
    TripletLoss(0.2)(x, torch.tensor([0, 0, 1, 1])).backward()
    assert torch.isfinite(x.grad).all()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="mining"):
        TripletLoss(0.2, "hardest")
    with pytest.raises(ValueError, match="margin"):
        TripletLoss(0.0)


def test_pk_sampler_draws_p_classes_with_distinct_colours_first():
    labels = ["a"] * 3 + ["b"] * 2 + ["c"] * 4 + ["d"] * 1 + ["e"] * 2
    colours = ["red", "blue", "red", "red", "green", "x", "y", "x", "z", "red", "p", "q"]
    sampler = PKSampler(labels, colours, p=2, k=3, seed=0)
    assert len(sampler) == 2  # four classes have 2+ rows
    seen = set()
    for batch in sampler.batches(epoch=0):
        assert len(batch) == 6
        for chunk in (batch[:3], batch[3:]):
            group = {labels[i] for i in chunk}
            assert len(group) == 1
            label = group.pop()
            assert label != "d"
            seen.add(label)
            available = len({colours[i] for i, v in enumerate(labels) if v == label})
            first = [colours[i] for i in chunk[: min(available, 3)]]
            assert len(set(first)) == len(first)
    assert len(seen) == 4
    assert list(sampler.batches(1)) == list(PKSampler(labels, colours, 2, 3, seed=0).batches(1))


def test_pk_sampler_refuses_too_few_classes():
    with pytest.raises(ValueError, match="classes"):
        PKSampler(["a", "a", "b"], p=2, k=2)


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
    import dataclasses

    from skill.evaluation.metrics import colour_variant_retrieval
    from skill.train.variants.config import VariantConfig
    from skill.train.variants.head_training import embed_features, train_metric_head

    x, labels, colours = _clusters()
    config = VariantConfig(
        embedding_dim=8, hidden_dim=32, epochs=20, batch_classes=4, per_class=3, lr=3e-3, margin=0.3
    )
    before = colour_variant_retrieval(x / np.linalg.norm(x, axis=1, keepdims=True), labels, colours)
    head = train_metric_head(x, labels, colours, config, state_dir=tmp_path / "state")
    after = colour_variant_retrieval(embed_features(head, x), labels, colours)
    assert after["mAP"] > before["mAP"] + 0.2
    # a finished state resumes to the same head without training further
    again = train_metric_head(x, labels, colours, config, state_dir=tmp_path / "state")
    np.testing.assert_allclose(embed_features(again, x), embed_features(head, x), atol=1e-6)
    longer = dataclasses.replace(config, epochs=21)
    records = []
    train_metric_head(x, labels, colours, longer, state_dir=tmp_path / "state", log=records.append)
    assert [r["epoch"] for r in records] == [21]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["triplet", "atl"])
def test_gpu_recipe_runs_one_step_on_cpu_and_exports_a_strict_checkpoint(tmp_path, method):
    from skill.encoders.registry import load_encoder
    from skill.train.variants.config import VariantConfig
    from skill.train.variants.finetune import finetune_variant

    write_articles_catalog(tmp_path)
    config = VariantConfig(
        method=method,
        recipe="gpu",
        images_dir=str(tmp_path),
        output_dir=str(tmp_path / "run"),
        image_cache_dir=str(tmp_path / "cache"),
        image_cache_size=40,
        pretrained=None,
        view_size=32,
        embedding_dim=8,
        hidden_dim=16,
        epochs=1,
        batch_classes=2,
        per_class=2,
        max_steps_per_epoch=1,
        invariance_sample=2,
        device="cpu",
    )
    folder = finetune_variant(config)
    encoder = load_encoder(folder)
    assert encoder.info.role == "colour-variant" and encoder.embedding_dim == 8
    assert encoder.info.config["training"]["recipe"] == "gpu"
    assert 0.0 <= encoder.info.config["metrics"]["hit@1"] <= 1.0
    assert (tmp_path / "run" / "state" / "state.json").is_file()


@pytest.mark.slow
def test_exported_cpu_encoder_equals_head_on_cached_features(tmp_path):
    """The shipped encoder (backbone + head) gives what the head gave on cached features."""
    from PIL import Image

    from skill.encoders.embedding import embed_images
    from skill.encoders.registry import load_encoder
    from skill.train.variants.config import VariantConfig
    from skill.train.variants.data import _lite0
    from skill.train.variants.head_training import create_head, embed_features
    from skill.train.variants.recipe import export_variant_encoder

    config = VariantConfig(input_size=96, embedding_dim=16, hidden_dim=32)
    rng = np.random.default_rng(0)
    photos = [Image.fromarray(rng.integers(0, 255, (80, 60, 3), dtype=np.uint8)) for _ in range(3)]
    features = embed_images(_lite0(config), photos).embeddings
    head = create_head(config)
    folder = export_variant_encoder(head, config, {"hit@1": 0.5}, tmp_path / "encoder")
    encoder = load_encoder(folder)  # strict
    assert encoder.preprocess.input_size == 96
    assert encoder.info.config["training"]["backbone"].startswith("frozen")
    np.testing.assert_allclose(
        embed_images(encoder, photos).embeddings, embed_features(head, features), atol=1e-4
    )


@pytest.mark.slow
def test_bank_recipe_trains_the_last_stages_on_the_photo_bank(tmp_path):
    import json

    import torch
    from PIL import ImageOps

    from skill.encoders.registry import load_encoder
    from skill.images.decode import load_image
    from skill.images.preprocess import to_tensor
    from skill.train.variants.config import make_variant_config
    from skill.train.variants.data import read_variant_split
    from skill.train.variants.recipe import train_variant

    write_articles_catalog(tmp_path)
    config = make_variant_config(
        "bank",
        "triplet",
        images_dir=str(tmp_path),
        output_dir=str(tmp_path / "run"),
        image_cache_dir=str(tmp_path / "cache"),
        pretrained=None,
        epochs=2,
        batch_classes=2,
        per_class=2,
        invariance_sample=2,
    )
    encoder = load_encoder(train_variant(config))
    recipe = encoder.info.config
    assert recipe["training"]["recipe"] == "bank" and recipe["backbone_kwargs"] == {
        "global_pool": "max"
    }
    # No head: the pooled backbone features are the embedding, and the photos are seen in grey.
    assert recipe["head"] is None and encoder.embedding_dim == encoder.backbone.num_features
    assert encoder.preprocess.grayscale and encoder.preprocess.input_size == 224
    assert 0.0 <= recipe["metrics"]["hit@1"] <= 1.0
    log = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2] and all(np.isfinite(r["loss"]) for r in log)
    stored = np.load(tmp_path / "cache" / "photo-bank-gray-f6" / "globals.npy")
    assert stored.shape[:2] == (len(read_variant_split(config)[0]), 2)
    # The trunk is untouched: the exported encoder still maps the first training photo, and
    # its mirror image, to the stored maps.
    photo = load_image(tmp_path / read_variant_split(config)[0]["image_path"].iloc[0])
    b = encoder.backbone
    for view, image in enumerate((photo, ImageOps.mirror(photo))):
        with torch.inference_mode():
            x = b.bn1(b.conv_stem(to_tensor(image, encoder.preprocess)[None]))
            for stage in list(b.blocks)[: config.frozen_stages]:
                x = stage(x)
        np.testing.assert_allclose(
            x[0].numpy(), stored[0, view].astype(np.float32), atol=0.05, rtol=0.01
        )


def test_no_head_is_for_the_bank_recipe_only():
    from skill.train.variants.config import make_variant_config

    with pytest.raises(ValueError, match="bank recipe only"):
        make_variant_config("cpu", "triplet", embedding_dim=0)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["parts", "simclr"])
def test_bank_recipe_trains_contrastive_methods_on_stored_views(tmp_path, method):
    import json

    from skill.encoders.registry import load_encoder
    from skill.train.variants.config import make_variant_config
    from skill.train.variants.recipe import train_variant

    write_articles_catalog(tmp_path)
    config = make_variant_config(
        "bank",
        method,
        images_dir=str(tmp_path),
        output_dir=str(tmp_path / "run"),
        image_cache_dir=str(tmp_path / "cache"),
        image_cache_size=40,
        view_size=32,
        pretrained=None,
        epochs=2,
        batch_size=8,
        invariance_sample=2,
    )
    encoder = load_encoder(train_variant(config))
    assert encoder.info.config["training"]["config"]["method"] == method
    assert encoder.info.config["head"] is None and encoder.preprocess.grayscale
    log = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2] and all(np.isfinite(r["loss"]) for r in log)
    bank = np.load(tmp_path / "cache" / f"bank-{method}-gray-r1" / "globals.npy")
    assert bank.shape[:2] == (16, 4)  # 8 training designs x 2 colours, 4 views each
    # Two stored views of one photo differ (other parts or other crops).
    assert not np.array_equal(bank[0, 0], bank[0, 1])


def test_same_part_pairs_are_one_part_in_two_recolourings():
    import dataclasses

    import torch

    from skill.train.variants.bank import _contrastive_steps
    from skill.train.variants.config import make_variant_config
    from skill.train.view_bank import ViewBank

    rounds, parts, n = 3, 4, 16
    # value = 10 * round + part, so every stored view says where it came from
    slots = np.array([10 * r + p for r in range(rounds) for p in range(parts)], np.float16)
    globals_ = np.broadcast_to(slots[None, :, None, None, None], (n, rounds * parts, 1, 1, 1))
    bank = ViewBank(np.ascontiguousarray(globals_), np.zeros((n, 0, 1, 1, 1), np.float16))
    config = make_variant_config(
        "bank", "parts", part_pairs="same", bank_rounds=rounds, batch_size=8
    )
    batches, loss_of = _contrastive_steps(config, bank)
    seen = []

    def embed(maps):
        seen.append(maps.flatten(1))
        return torch.cat([maps.flatten(1), torch.ones(len(maps), 1)], 1)

    rng = np.random.default_rng(0)
    for batch in batches(0):
        assert torch.isfinite(loss_of(np.asarray(batch), embed, rng))
    pairs = torch.cat(seen).reshape(len(seen), 2, -1)
    first, second = pairs[:, 0].flatten(), pairs[:, 1].flatten()
    assert torch.equal(first % 10, second % 10)  # the same part
    assert bool((first // 10 != second // 10).all())  # from two different recolourings
    with pytest.raises(ValueError, match="bank_rounds >= 2"):
        _contrastive_steps(dataclasses.replace(config, bank_rounds=1), bank)
