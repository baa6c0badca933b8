"""The GPU recipe of the colour-variant encoders: fine-tune the last backbone stages.

Same losses and views as the CPU recipe (:mod:`skill.train.variants.head_recipe`), but nothing
is cached:
every step draws fresh views from the pre-resized photos
(:func:`skill.train.data.build_image_cache`) and back-propagates into the last
``trainable_blocks`` stages of the backbone (earlier stages and all BatchNorm statistics stay
frozen, as ImageNet left them). ``triplet`` and ``atl`` see P x K batches of whole photos with
a light crop, flip and a random recolouring (so the colour of a photo cannot separate designs);
``parts`` and ``simclr`` see their views (:mod:`skill.train.variants.part_views`). The exported
checkpoint has the same format as the CPU recipe's.

Example:
    >>> config = find_recipe("triplet", "gpu").configure(device="cuda")
    >>> summary = finetune_variant(config)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import nn

from skill.encoders.encoder import create_backbone
from skill.encoders.heads import ProjectionHead
from skill.images.preprocess import Preprocess
from skill.progress import Progress
from skill.train.augment import normalize_image, random_resized_crop_box
from skill.train.data import build_image_cache
from skill.train.device import resolve_device
from skill.train.losses.nt_xent import NTXentLoss
from skill.train.variants.config import VariantConfig
from skill.train.variants.data import read_variant_split
from skill.train.variants.export import export_evaluated
from skill.train.variants.head_training import load_head_state, save_head_state
from skill.train.variants.methods import VARIANT_METHODS
from skill.train.variants.part_views import random_recolor
from skill.train.variants.pk_sampler import PKSampler


class FinetuneModel(nn.Module):
    """Backbone + head; only the last ``trainable_blocks`` stages and the head learn."""

    def __init__(self, backbone: nn.Module, head: nn.Module, trainable_blocks: int) -> None:
        super().__init__()
        self.backbone, self.head = backbone, head
        for parameter in backbone.parameters():
            parameter.requires_grad_(False)
        blocks = list(getattr(backbone, "blocks", []))
        tail: list[nn.Module] = blocks[len(blocks) - trainable_blocks :] if trainable_blocks else []
        tail += [
            getattr(backbone, name) for name in ("conv_head", "bn2") if hasattr(backbone, name)
        ]
        for module in tail:
            for parameter in module.parameters():
                parameter.requires_grad_(True)

    def train(self, mode: bool = True) -> FinetuneModel:
        super().train(mode)
        for module in self.backbone.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()  # small P x K batches: keep ImageNet statistics
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(images))


def _photo_view(
    image: Image.Image, size: int, rng: np.random.Generator, recolor: bool
) -> torch.Tensor:
    """A whole-photo view: a light crop, a flip, and half the time a random colourway."""
    crop = random_resized_crop_box(*image.size, (0.7, 1.0), rng)
    view = image.resize((size, size), box=crop)
    if rng.random() < 0.5:
        view = ImageOps.mirror(view)
    if recolor and rng.random() < 0.5:
        view = random_recolor(view, rng)
    return normalize_image(view)


def finetune_variant(config: VariantConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Fine-tunes and exports one colour-variant encoder (see module docstring).

    Args:
        config: The run (``recipe`` ``"gpu"``).
        progress: Reports the image cache, training (``epochs``) and evaluation stages.

    Returns:
        ``encoder`` (the exported folder, ``<output_dir>/encoder``) and ``output_dir``.
    """
    if config.recipe != "gpu":
        raise ValueError(f"finetune_variant runs the gpu recipe, got recipe={config.recipe!r}")
    method = VARIANT_METHODS[config.method]
    device = resolve_device(config.device)
    out = config.output_path
    out.mkdir(parents=True, exist_ok=True)
    train_items, val_items = read_variant_split(config)
    cache = build_image_cache(
        train_items,
        config.images_path,
        config.image_cache_path,
        config.image_cache_size,
        progress,
    )
    backbone = create_backbone(config.architecture, pretrained=config.pretrained)
    torch.manual_seed(config.seed)
    head = ProjectionHead(
        backbone.num_features, config.embedding_dim, config.hidden_dim, normalize_input=True
    )
    model = FinetuneModel(backbone, head, config.trainable_blocks).to(device)
    groups = [
        {"params": [p for p in head.parameters()], "lr": config.lr * 10},
        {"params": [p for p in backbone.parameters() if p.requires_grad], "lr": config.lr},
    ]
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    start_epoch = load_head_state(out / "state", {"model": model}, optimizer)

    def photo(index: int) -> tuple:
        box = tuple(int(v) for v in cache.boxes[index])
        background = tuple(int(v) for v in cache.backgrounds[index])
        return cache.image(index), box, background

    if method.supervised:
        supervision = method.supervision(config, train_items)
        sampler = PKSampler(
            supervision.labels,
            supervision.colours,
            config.batch_classes,
            config.per_class,
            config.seed,
        )
        texts = supervision.texts.to(device) if supervision.texts is not None else None
        codes = supervision.codes().to(device)

        def batches(epoch: int):
            return sampler.batches(epoch)

        def step_loss(batch, rng):
            images = torch.stack(
                [_photo_view(photo(i)[0], config.view_size, rng, True) for i in batch]
            )
            embeddings = model(images.to(device))
            return supervision.loss(
                embeddings, codes[batch], None if texts is None else texts[batch]
            )
    else:
        views = method.views(config)
        nt_xent = NTXentLoss(config.temperature)

        def batches(epoch: int):
            order = np.random.default_rng(config.seed + epoch).permutation(len(cache))
            size = min(config.batch_size_gpu, len(cache))
            return [order[i : i + size].tolist() for i in range(0, len(cache) - size + 1, size)]

        def step_loss(batch, rng):
            stacks = [
                torch.stack([normalize_image(v) for v in views(*photo(i), rng)]) for i in batch
            ]
            images = torch.stack(stacks)  # (batch, views, 3, s, s)
            embeddings = model(images.flatten(0, 1).to(device))
            return nt_xent(embeddings.reshape(len(batch), images.shape[1], -1))

    start = time.perf_counter()
    for epoch in range(start_epoch, config.epochs):
        model.train()
        rng = np.random.default_rng(config.seed + 1000 + epoch)
        for step, batch in enumerate(batches(epoch)):
            if config.max_steps_per_epoch is not None and step >= config.max_steps_per_epoch:
                break
            loss = step_loss(batch, rng)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        save_head_state(out / "state", {"model": model}, optimizer, epoch + 1)
        if progress:
            progress("epochs", epoch + 1, config.epochs, "epochs")
    model.eval().cpu()
    preprocess = Preprocess(input_size=config.view_size, crop_pct=0.875)
    metrics = {"train_seconds": round(time.perf_counter() - start, 1)}
    folder = export_evaluated(
        head,
        config,
        metrics,
        out / "encoder",
        val_items,
        progress,
        backbone=backbone,
        preprocess=preprocess,
    )
    return {"encoder": str(folder), "output_dir": config.output_dir}
