"""The ``bank`` recipe of the supervised colour-variant encoders: the tail trained on stored views.

The ``cpu`` recipe trains only a head on frozen pooled features, so the backbone never learns
what separates designs. This recipe trains the backbone's last stage and head convolution
(``frozen_stages`` of :data:`skill.train.config.PRESETS` ``["cpu"]``) together with the
projection head, on the frozen-trunk maps of SkiLL's colour-invariant global views stored in
the view bank (:mod:`skill.train.view_bank`; the bank of ``--method skill`` is reused when it
exists, so the comparison with SkiLL is at the same views and trunk). Each step draws one
stored view of every photo of a P x K batch (P designs, K colours each) and applies the
triplet loss (``triplet``, design ids as classes) or the adaptive triplet loss (``atl``,
text-defined weak classes, no design id read). The backbone pools with ``max`` like the SkiLL
recipe.

The preset mines semi-hard triplets at a low learning rate: max-pooled features start
concentrated (mean pairwise cosine 0.97 in a batch), and batch-hard mining at 1e-4 collapsed
every embedding onto one point within an epoch (loss stuck at the margin); semi-hard at 2e-5
spreads them (mean cosine 0.2 after 50 steps).

Example:
    >>> config = make_variant_config("bank", "triplet")
    >>> folder = bank_variant(config)
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from skill.heads import ProjectionHead
from skill.preprocess import Preprocess
from skill.train.head_training import load_head_state, save_head_state
from skill.train.pk_sampler import PKSampler
from skill.train.variant_config import SUPERVISED, VariantConfig

Progress = Callable[[str, int, int], None]


def bank_variant(config: VariantConfig, progress: Progress | None = None) -> Path:
    """Trains, evaluates and exports one supervised colour-variant encoder (see module docstring).

    Returns:
        The exported encoder folder, ``<output_dir>/encoder``.
    """
    from skill.encoders import create_backbone
    from skill.train.config import PRESETS
    from skill.train.data import build_image_cache
    from skill.train.multicrop import MultiCropModel
    from skill.train.trainer import backbone_kwargs, build_run_bank
    from skill.train.variant_data import read_variant_split, supervision
    from skill.train.variants import export_evaluated

    if config.method not in SUPERVISED:
        raise ValueError(f"the bank recipe trains {SUPERVISED}; {config.method!r} uses 'cpu'")
    views = dataclasses.replace(
        PRESETS["cpu"],
        images_dir=config.images_dir,
        csv_name=config.csv_name,
        val_fraction=config.val_fraction,
        split_seed=config.split_seed,
        cache_dir=config.image_cache_dir,
        cache_size=config.image_cache_size,
        architecture=config.architecture,
        pretrained=config.pretrained,
        view_bank_rounds=config.bank_rounds,
        seed=0,
    )
    torch.manual_seed(config.seed)
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    train_items, val_items = read_variant_split(config)
    cache = build_image_cache(
        train_items, config.images_dir, config.image_cache_dir, config.image_cache_size
    )
    kwargs = backbone_kwargs(views)
    backbone = create_backbone(config.architecture, pretrained=config.pretrained, **kwargs)
    head = ProjectionHead(
        backbone.num_features, config.embedding_dim, config.hidden_dim, normalize_input=True
    )
    model = MultiCropModel(backbone, head, views.frozen_stages, freeze_batchnorm=True)
    bank = build_run_bank(views, model, cache, torch.device("cpu"))

    labels, colours, loss_fn, texts = supervision(config, train_items)
    sampler = PKSampler(labels, colours, config.batch_classes, config.per_class, config.seed)
    codes = torch.from_numpy(np.unique(labels.astype(str), return_inverse=True)[1])
    optimizer = torch.optim.AdamW(
        [
            {"params": list(head.parameters()), "lr": config.lr * 10},
            {"params": [p for p in backbone.parameters() if p.requires_grad], "lr": config.lr},
        ],
        weight_decay=config.weight_decay,
    )
    state_dir = out / "state"
    start_epoch = load_head_state(state_dir, model, optimizer)
    started = time.perf_counter()
    n_views = bank.globals.shape[1]
    for epoch in range(start_epoch, config.epochs):
        model.train()
        rng = np.random.default_rng(config.seed + 1000 + epoch)
        losses = []
        batches = list(sampler.batches(epoch))
        for step, batch in enumerate(batches):
            batch = np.asarray(batch)
            chosen = rng.integers(0, n_views, len(batch))
            maps = torch.from_numpy(np.asarray(bank.globals[batch, chosen], dtype=np.float32))
            embeddings = head(model.run_tail(maps))
            if texts is None:
                loss = loss_fn(embeddings, codes[batch])
            else:
                loss = loss_fn(embeddings, codes[batch], texts[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
            if progress:
                progress(f"epoch {epoch + 1}/{config.epochs}", step + 1, len(batches))
        save_head_state(state_dir, model, optimizer, epoch + 1)
        with open(out / "log.jsonl", "a", encoding="utf-8") as handle:
            record = {"method": config.method, "recipe": "bank", "epoch": epoch + 1}
            record["loss"] = float(np.mean(losses)) if losses else None
            record["seconds"] = round(time.perf_counter() - started, 1)
            handle.write(json.dumps(record) + "\n")
    model.eval()
    preprocess = Preprocess(input_size=224, crop_pct=0.875)
    metrics = {"train_seconds": round(time.perf_counter() - started, 1)}
    return export_evaluated(
        head,
        config,
        metrics,
        out / "encoder",
        val_items,
        backbone=backbone,
        preprocess=preprocess,
        backbone_kwargs=kwargs,
    )
