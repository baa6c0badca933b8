"""NT-Xent against a direct re-derivation, and the part / random-crop views."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from skill.train.losses.nt_xent import NTXentLoss
from skill.train.variants.part_views import PartViews, RandomCropViews, part_box, square_crop
from tests.shapes import write_articles_catalog


def _reference(z: torch.Tensor, temperature: float) -> float:
    batch, views, _ = z.shape
    flat = torch.nn.functional.normalize(z.reshape(batch * views, -1), dim=1).double()
    total, count = 0.0, 0
    for i in range(batch * views):
        others = [k for k in range(batch * views) if k != i]
        denominator = sum(math.exp(float(flat[i] @ flat[k]) / temperature) for k in others)
        positives = [k for k in others if k // views == i // views]
        for p in positives:
            total += -math.log(
                math.exp(float(flat[i] @ flat[p]) / temperature) / denominator
            ) / len(positives)
        count += 1
    return total / count


@pytest.mark.parametrize("views", [2, 4])
def test_nt_xent_matches_reference(views):
    z = torch.randn(5, views, 8, generator=torch.Generator().manual_seed(views))
    assert NTXentLoss(0.2)(z).item() == pytest.approx(_reference(z, 0.2), rel=1e-5)


def test_nt_xent_prefers_aligned_views_and_checks_shape():
    anchors = torch.eye(6)[:, None, :].repeat(1, 2, 1)
    shuffled = torch.stack([anchors[:, 0], anchors[torch.arange(6).roll(1), 1]], dim=1)
    loss = NTXentLoss(0.1)
    assert loss(anchors).item() < loss(shuffled).item()
    with pytest.raises(ValueError, match="views"):
        loss(torch.randn(4, 1, 3))


def _photo() -> tuple[Image.Image, tuple[int, int, int, int]]:
    array = np.full((64, 64, 3), 240, np.uint8)
    array[10:50, 20:44] = (200, 30, 30)  # upper half red
    array[30:50, 20:44] = (30, 30, 200)  # lower half blue
    return Image.fromarray(array), (20, 10, 44, 50)


def test_part_boxes_split_the_foreground_box():
    box = (20, 10, 44, 50)
    assert part_box(box, "whole") == box
    assert part_box(box, "upper") == (20, 10, 44, 30)
    assert part_box(box, "lower") == (20, 30, 44, 50)
    assert part_box(box, "left") == (20, 10, 32, 50)
    assert part_box(box, "right") == (32, 10, 44, 50)
    with pytest.raises(ValueError, match="part"):
        part_box(box, "middle")


def test_part_views_show_their_part_and_are_reproducible():
    image, box = _photo()
    plain = PartViews(view_size=32, recolor_prob=0.0)(
        image, box, (240, 240, 240), np.random.default_rng(0)
    )
    assert [v.size for v in plain] == [(32, 32)] * 5
    upper, lower = np.asarray(plain[1])[16, 16], np.asarray(plain[2])[16, 16]
    assert upper[0] > 150 > upper[2] and lower[2] > 150 > lower[0]
    views = PartViews(view_size=32)
    first = views(image, box, (240, 240, 240), np.random.default_rng(3))
    again = views(image, box, (240, 240, 240), np.random.default_rng(3))
    assert all(
        np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(first, again, strict=True)
    )
    assert not np.array_equal(np.asarray(first[0]), np.asarray(plain[0]))  # recoloured


def test_square_crop_pads_without_distortion():
    image, _ = _photo()
    out = square_crop(image, (20, 10, 44, 30), 24, (0, 255, 0))
    assert out.size == (24, 24)
    assert tuple(np.asarray(out)[0, 12]) == (0, 255, 0)  # wide part: padded above


def test_random_crop_views_count_and_size():
    image, box = _photo()
    views = RandomCropViews(view_size=40, num_views=3)(
        image, box, (240, 240, 240), np.random.default_rng(0)
    )
    assert [v.size for v in views] == [(40, 40)] * 3


def test_contrastive_head_pulls_views_of_a_photo_together():
    from skill.train.variants.config import VariantConfig
    from skill.train.variants.head_training import embed_features, train_contrastive_head

    rng = np.random.default_rng(0)
    photos = rng.normal(size=(64, 1, 16))
    views = (photos + 0.8 * rng.normal(size=(64, 4, 16))).astype(np.float32)
    config = VariantConfig(
        method="parts",
        embedding_dim=8,
        hidden_dim=32,
        epochs=20,
        batch_size=32,
        lr=3e-3,
        temperature=0.2,
    )

    def view_agreement(embed):
        z = embed(views.reshape(-1, 16)).reshape(64, 4, -1)
        same = np.einsum("nvd,nwd->n", z[:, :1], z[:, 1:]).mean()
        other = np.einsum("nvd,mwd->nm", z[:, :1], z[:, 1:]).mean()
        return same - other

    raw = view_agreement(lambda a: a / np.linalg.norm(a, axis=1, keepdims=True))
    head = train_contrastive_head(views, config)
    assert view_agreement(lambda a: embed_features(head, a)) > raw


@pytest.mark.slow
def test_gpu_recipe_parts_runs_one_step_on_cpu(tmp_path):

    from skill.encoders.registry import load_encoder
    from skill.train.variants.config import VariantConfig
    from skill.train.variants.finetune import finetune_variant

    write_articles_catalog(tmp_path)
    config = VariantConfig(
        method="parts",
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
        batch_size_gpu=4,
        max_steps_per_epoch=1,
        invariance_sample=0,
        device="cpu",
    )
    assert load_encoder(finetune_variant(config)).info.config["training"]["method"] == "parts"
