"""The ``bank`` recipe: the last stages trained on stored trunk maps of photos or views."""

import dataclasses
import json

import numpy as np
import pytest
import torch
from PIL import ImageOps

from skill.encoders.encoder import load_encoder
from skill.images.decode import load_image
from skill.images.preprocess import to_tensor
from skill.train.recipes import find_recipe
from skill.train.variants.bank import _contrastive_steps, bank_variant
from skill.train.variants.data import read_variant_split
from skill.train.view_bank import ViewBank


def _log(folder):
    return [json.loads(x) for x in (folder / "log.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_bank_recipe_trains_the_last_stages_on_the_photo_bank(articles_catalog):
    root = articles_catalog
    recipe = find_recipe("triplet", "bank")
    config = recipe.configure(
        images_dir=str(root),
        output_dir=str(root / "run"),
        image_cache_dir=str(root / "cache"),
        pretrained=None,
        epochs=2,
        batch_classes=2,
        per_class=2,
        invariance_sample=2,
        frozen_stages=6,
        export_input_size=0,
        tune_fraction=0.0,
    )
    reports = []
    encoder = load_encoder(recipe.run(config, lambda *r: reports.append(r))["encoder"])
    assert ("epoch 2/2", 4, 4, "steps") in reports and reports[0][0] == "photo bank"
    card = encoder.info.config
    assert card["training"]["recipe"] == "bank"
    assert card["backbone_kwargs"] == {"global_pool": "max"}
    # No head: the pooled backbone features are the embedding, and the photos are seen in grey.
    assert card["head"] is None and encoder.embedding_dim == encoder.backbone.num_features
    assert encoder.preprocess.grayscale and encoder.preprocess.input_size == 224
    assert 0.0 <= card["metrics"]["hit@1"] <= 1.0
    log = _log(root / "run")
    assert [r["epoch"] for r in log] == [1, 2] and all(np.isfinite(r["loss"]) for r in log)
    train_items = read_variant_split(config)[0]
    stored = np.load(root / "cache" / "photo-bank-gray-f6" / "globals.npy")
    assert stored.shape[:2] == (len(train_items), 2)
    # The trunk is untouched: the exported encoder still maps the first training photo, and
    # its mirror image, to the stored maps.
    photo = load_image(root / train_items["image_path"].iloc[0])
    b = encoder.backbone
    for view, image in enumerate((photo, ImageOps.mirror(photo))):
        with torch.inference_mode():
            x = b.bn1(b.conv_stem(to_tensor(image, encoder.preprocess)[None]))
            for stage in list(b.blocks)[: config.frozen_stages]:
                x = stage(x)
        np.testing.assert_allclose(
            x[0].numpy(), stored[0, view].astype(np.float32), atol=0.05, rtol=0.01
        )


@pytest.mark.slow
@pytest.mark.parametrize("method", ["parts", "simclr"])
def test_bank_recipe_trains_contrastive_methods_on_stored_views(articles_catalog, method):
    root = articles_catalog
    config = find_recipe(method, "bank").configure(
        images_dir=str(root),
        output_dir=str(root / "run"),
        image_cache_dir=str(root / "cache"),
        image_cache_size=40,
        view_size=32,
        pretrained=None,
        epochs=2,
        batch_size=8,
        invariance_sample=2,
        tune_fraction=0.0,
        export_input_size=64,
    )
    encoder = load_encoder(bank_variant(config)["encoder"])
    assert encoder.info.config["training"]["config"]["method"] == method
    assert encoder.preprocess.input_size == 64  # exported at its own size, trained on 224
    assert encoder.info.config["head"] is None and encoder.preprocess.grayscale
    log = _log(root / "run")
    assert [r["epoch"] for r in log] == [1, 2] and all(np.isfinite(r["loss"]) for r in log)
    bank = np.load(root / "cache" / f"bank-{method}-gray-r1" / "globals.npy")
    assert bank.shape[:2] == (16, 4)  # 8 training designs x 2 colours, 4 views each
    # Two stored views of one photo differ (other parts or other crops).
    assert not np.array_equal(bank[0, 0], bank[0, 1])


def test_same_part_pairs_are_one_part_in_two_recolourings():
    rounds, parts, n = 3, 4, 16
    # value = 10 * round + part, so every stored view says where it came from
    slots = np.array([10 * r + p for r in range(rounds) for p in range(parts)], np.float16)
    globals_ = np.broadcast_to(slots[None, :, None, None, None], (n, rounds * parts, 1, 1, 1))
    bank = ViewBank(np.ascontiguousarray(globals_), np.zeros((n, 0, 1, 1, 1), np.float16))
    config = find_recipe("parts", "bank").configure(
        part_pairs="same", bank_rounds=rounds, batch_size=8
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
