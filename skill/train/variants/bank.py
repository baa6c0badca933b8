"""The ``bank`` recipe of the colour-variant encoders: the tail trained on stored trunk maps.

The ``cpu`` recipe trains only a head on frozen pooled features, so the backbone never learns
what separates designs. This recipe trains the backbone's last stage and head convolution
(``frozen_stages``) on the frozen trunk's maps of every training photo, stored once in a photo
bank (:func:`skill.train.view_bank.build_photo_bank`): the photo exactly as the exported encoder
preprocesses it, and its mirror image. Each step draws one of the two of every photo of a
P x K batch (P designs, K colours each) and applies the triplet loss (``triplet``, design ids
as classes) or the adaptive triplet loss (``atl``, text-defined weak classes, no design id
read). The embedding is the max-pooled head convolution itself (``embedding_dim`` 0): a
projection head on top trained slower and ended lower on held-out training designs.

The preset's choices were made on a fifth of the *training* designs held out (never on the
validation designs): grey input with max pooling (the untrained start, 0.450 hit@1 on the
validation designs against 0.373 for ``imagenet-lite0``), batch-hard mining at 3e-4 (semi-hard
at 3e-5 gained less per epoch), four epochs (held-out hit@1 levelled off from the third). The
photos are stored at the encoder's own 224 px: a tail trained on 128 px views and run at 224
px sees maps of another size and ends below its untrained start (0.419).

``parts`` and ``simclr`` store ``bank_rounds`` draws of their views (grey, ``view_size`` px) in
a view bank (:func:`skill.train.view_bank.build_view_bank`) and train the same layers with
NT-Xent on two stored views of each photo of a shuffled batch: two random crops (``simclr``),
two different parts (``parts``, ``part_pairs="any"``) or one part in two independent
recolourings (``part_pairs="same"``, which beat random crops on the validation designs: 0.360
against 0.340 hit@1; two different parts scored 0.221).

Example:
    >>> config = find_recipe("triplet", "bank").configure(epochs=2)
    >>> summary = bank_variant(config)
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import numpy as np
import pandas as pd
import torch

from skill.encoders.encoder import create_backbone
from skill.encoders.heads import ProjectionHead
from skill.images.preprocess import Preprocess
from skill.progress import Progress
from skill.train.augment import GrayscaleViews, TensorViews
from skill.train.data import build_image_cache
from skill.train.losses.nt_xent import NTXentLoss
from skill.train.multicrop import MultiCropModel
from skill.train.variants.config import VariantConfig
from skill.train.variants.data import read_variant_split
from skill.train.variants.export import export_evaluated
from skill.train.variants.head_training import load_head_state, save_head_state
from skill.train.variants.methods import VARIANT_METHODS
from skill.train.variants.pk_sampler import PKSampler
from skill.train.view_bank import (
    Trunk,
    ViewBank,
    build_photo_bank,
    build_view_bank,
    onnx_trunk,
    photo_bank_folder,
)


def bank_variant(config: VariantConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Trains, evaluates and exports one colour-variant encoder (see module docstring).

    Args:
        config: The run (``recipe`` ``"bank"``).
        progress: Reports the bank, training (``epoch i/n`` in ``steps``) and evaluation stages.

    Returns:
        ``encoder`` (the exported folder, ``<output_dir>/encoder``) and ``output_dir``.
    """
    if config.recipe != "bank":
        raise ValueError(f"bank_variant runs the bank recipe, got recipe={config.recipe!r}")
    method = VARIANT_METHODS[config.method]
    torch.manual_seed(config.seed)
    out = config.output_path
    out.mkdir(parents=True, exist_ok=True)
    train_items, val_items = read_variant_split(config)
    kwargs = {"global_pool": "max"}
    backbone = create_backbone(config.architecture, pretrained=config.pretrained, **kwargs)
    head = (
        ProjectionHead(
            backbone.num_features, config.embedding_dim, config.hidden_dim, normalize_input=True
        )
        if config.embedding_dim
        else None
    )
    model = MultiCropModel(backbone, torch.nn.Identity(), config.frozen_stages, True)
    preprocess = Preprocess(input_size=224, crop_pct=0.875, grayscale=config.input_grayscale)
    exported = dataclasses.replace(preprocess, input_size=config.export_input_size or 224)
    trunk = onnx_trunk(model.trunk_modules(), config.image_cache_path / "onnx")
    if method.supervised:
        bank = _photo_bank(config, train_items, preprocess, trunk, progress)
        batches, loss_of = _supervised_steps(config, train_items, bank)
    else:
        bank = _contrastive_bank(config, train_items, trunk, progress)
        batches, loss_of = _contrastive_steps(config, bank)

    groups = [{"params": [p for p in backbone.parameters() if p.requires_grad], "lr": config.lr}]
    if head is not None:
        groups.append({"params": list(head.parameters()), "lr": config.lr * 10})
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    state_dir = out / "state"
    trained = {"model": model, **({"head": head} if head is not None else {})}
    start_epoch = load_head_state(state_dir, trained, optimizer)
    started = time.perf_counter()

    def embed(maps: torch.Tensor) -> torch.Tensor:
        features = model.run_tail(maps)
        return head(features) if head is not None else features

    for epoch in range(start_epoch, config.epochs):
        model.train()
        rng = np.random.default_rng(config.seed + 1000 + epoch)
        losses = []
        steps = list(batches(epoch))
        for step, batch in enumerate(steps):
            loss = loss_of(np.asarray(batch), embed, rng)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
            if progress:
                progress(f"epoch {epoch + 1}/{config.epochs}", step + 1, len(steps), "steps")
        save_head_state(state_dir, trained, optimizer, epoch + 1)
        with open(out / "log.jsonl", "a", encoding="utf-8") as handle:
            record = {"method": config.method, "recipe": "bank", "epoch": epoch + 1}
            record["loss"] = float(np.mean(losses)) if losses else None
            record["seconds"] = round(time.perf_counter() - started, 1)
            handle.write(json.dumps(record) + "\n")
    model.eval()
    metrics = {"train_seconds": round(time.perf_counter() - started, 1)}
    folder = export_evaluated(
        head,
        config,
        metrics,
        out / "encoder",
        val_items,
        progress,
        backbone=backbone,
        preprocess=exported,
        backbone_kwargs=kwargs,
    )
    return {"encoder": str(folder), "output_dir": config.output_dir}


def _photo_bank(
    config: VariantConfig,
    train_items: pd.DataFrame,
    preprocess: Preprocess,
    trunk: Trunk,
    progress: Progress | None,
) -> ViewBank:
    """Trunk maps of every training photo as the encoder sees it, and of its mirror."""
    return build_photo_bank(
        train_items,
        config.images_path,
        preprocess,
        trunk,
        photo_bank_folder(config.image_cache_path, config.frozen_stages, config.input_grayscale),
        settings={
            "architecture": config.architecture,
            "pretrained": config.pretrained,
            "frozen_stages": config.frozen_stages,
        },
        progress=progress,
    )


def _supervised_steps(config: VariantConfig, train_items: pd.DataFrame, bank: ViewBank):
    """P x K batches; each photo enters as its stored photo or mirror view, at random."""
    supervision = VARIANT_METHODS[config.method].supervision(config, train_items)
    sampler = PKSampler(
        supervision.labels, supervision.colours, config.batch_classes, config.per_class, config.seed
    )
    codes = supervision.codes()
    texts = supervision.texts
    n_views = bank.globals.shape[1]

    def loss_of(batch: np.ndarray, embed, rng: np.random.Generator) -> torch.Tensor:
        chosen = rng.integers(0, n_views, len(batch))
        embeddings = embed(torch.from_numpy(np.asarray(bank.globals[batch, chosen], np.float32)))
        return supervision.loss(embeddings, codes[batch], None if texts is None else texts[batch])

    return sampler.batches, loss_of


def _contrastive_bank(
    config: VariantConfig, train_items: pd.DataFrame, trunk: Trunk, progress: Progress | None
) -> ViewBank:
    """Trunk maps of ``bank_rounds`` draws of every photo's part (or random-crop) views."""
    cache = build_image_cache(
        train_items,
        config.images_path,
        config.image_cache_path,
        config.image_cache_size,
        progress,
    )
    space = VARIANT_METHODS[config.method].views(config)
    views = TensorViews(space)
    if config.input_grayscale:
        views = GrayscaleViews(views)
    grey = "-gray" if config.input_grayscale else ""
    return build_view_bank(
        cache,
        views,
        trunk,
        config.bank_rounds,
        config.image_cache_path / f"bank-{config.method}{grey}-r{config.bank_rounds}",
        settings={
            "views": repr(space),
            "architecture": config.architecture,
            "pretrained": config.pretrained,
            "frozen_stages": config.frozen_stages,
        },
        seed=config.seed,
        progress=progress,
    )


def _contrastive_steps(config: VariantConfig, bank: ViewBank):
    """Shuffled batches of photos and the positive pair of each (see ``part_pairs``)."""
    loss_fn = NTXentLoss(config.temperature)
    n = len(bank)
    per_round = bank.globals.shape[1] // config.bank_rounds
    same_part = VARIANT_METHODS[config.method].fixed_parts and config.part_pairs == "same"
    if same_part and config.bank_rounds < 2:
        raise ValueError("part_pairs='same' needs bank_rounds >= 2 (two recolourings per part)")

    def batches(epoch: int):
        order = np.random.default_rng(config.seed + epoch).permutation(n)
        stop = n - n % config.batch_size if n >= config.batch_size else n
        return [order[i : i + config.batch_size] for i in range(0, stop, config.batch_size)]

    def pair(batch: np.ndarray, rng: np.random.Generator) -> list[torch.Tensor]:
        if not same_part:
            return bank.draw(batch, num_local=0, rng=rng)
        part = rng.integers(0, per_round, len(batch))
        first = rng.integers(0, config.bank_rounds, len(batch))
        second = (first + rng.integers(1, config.bank_rounds, len(batch))) % config.bank_rounds
        return [
            torch.from_numpy(np.asarray(bank.globals[batch, r * per_round + part], np.float32))
            for r in (first, second)
        ]

    def loss_of(batch: np.ndarray, embed, rng: np.random.Generator) -> torch.Tensor:
        first, second = pair(batch, rng)
        embeddings = embed(torch.cat([first, second]))
        return loss_fn(embeddings.reshape(2, len(batch), -1).transpose(0, 1))

    return batches, loss_of
