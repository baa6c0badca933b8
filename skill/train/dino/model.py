"""The student network of a design run, its optimizer groups and the exported preprocessing.

Example:
    >>> student = create_model(config)  # backbone with ImageNet weights + a fresh DINO head
    >>> optimizer = torch.optim.AdamW(param_groups(student, config), lr=config.lr)
"""

from __future__ import annotations

from typing import Any

from skill.encoders.encoder import create_backbone
from skill.encoders.stage_pooling import check_stages
from skill.images.preprocess import Preprocess
from skill.train.dino.config import TrainConfig
from skill.train.dino.dino_head import DINOHead
from skill.train.multicrop import MultiCropModel


def create_model(config: TrainConfig) -> MultiCropModel:
    """Student network: the backbone with its ImageNet weights and a fresh DINO head."""
    backbone = create_backbone(
        config.architecture, pretrained=config.pretrained, **backbone_kwargs(config)
    )
    if config.pool_stages:  # a bad stage fails here, not when the trained run is exported
        check_stages(backbone, config.pool_stages)
    head = DINOHead(backbone.num_features, config.out_dim, config.hidden_dim, config.bottleneck_dim)
    return MultiCropModel(backbone, head, config.frozen_stages, config.freeze_batchnorm)


def backbone_kwargs(config: TrainConfig) -> dict[str, Any]:
    """``timm.create_model`` arguments of the backbone (stored in the exported config)."""
    return {} if config.global_pool == "avg" else {"global_pool": config.global_pool}


def pooling_kwargs(config: TrainConfig) -> dict[str, Any]:
    """How the exported encoder pools, as :class:`skill.encoders.encoder.Encoder` arguments:
    its stages and polarity views; empty when it pools the backbone's features alone, which
    is all a photo bank's trunk maps give."""
    return {
        **({"pool_stages": tuple(config.pool_stages)} if config.pool_stages else {}),
        **({"polarity_views": True} if config.polarity_views else {}),
    }


def eval_preprocess(config: TrainConfig) -> Preprocess:
    """The preprocessing the exported encoder ships with."""
    return Preprocess(
        input_size=config.eval_input_size,
        crop_pct=1.0 if config.eval_resize_mode == "pad" else 0.875,
        resize_mode=config.eval_resize_mode,
        grayscale=config.input_grayscale,
    )


def param_groups(model: MultiCropModel, config: TrainConfig) -> list[dict[str, Any]]:
    """AdamW parameter groups: backbone or head, with or without weight decay.

    Each group carries ``lr_scale`` (``config.backbone_lr_scale`` for the backbone) and
    ``apply_wd`` (False for biases and norms), which the training step reads when it sets the
    scheduled learning rate and weight decay.
    """
    groups: dict[tuple[bool, bool], list] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        is_backbone = name.startswith("backbone.")
        no_decay = param.ndim <= 1 or name.endswith(".bias")
        groups.setdefault((is_backbone, no_decay), []).append(param)
    return [
        {
            "params": params,
            "lr_scale": config.backbone_lr_scale if is_backbone else 1.0,
            "apply_wd": not no_decay,
        }
        for (is_backbone, no_decay), params in sorted(groups.items())
    ]
