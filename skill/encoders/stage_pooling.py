"""Pooling several stages of an EfficientNet at once: the design's details and its shape.

The last feature map of an ImageNet network describes what the object is (a dress, a shirt);
the earlier stages still hold how it is made (a seam, a print's motif, a collar's edge), which
is what tells two designs of one kind apart. Max pooling each chosen stage's output, scaling
each to unit norm so that no stage drowns the others, and concatenating them with the
network's own pooled features gives one vector that carries both. Whitened
(:mod:`skill.encoders.whitening`), it finds the same design in another colour markedly more
often than the last map alone, with no training (the README's label-free table), in the
spirit of multi-layer descriptors for instance retrieval (Razavian et al., "Visual instance
retrieval with deep convolutional networks", 2016).

Stages are indices into the network's ``blocks`` (EfficientNet-Lite0 has seven: 16, 24, 40,
80, 112, 192 and 320 channels); the network's own head (``conv_head`` and its pooling) always
comes last.

Example:
    >>> features, _ = features_and_map(backbone, images, stages=(3, 4, 5, 6))  # (batch, 1984)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

PARTS = ("conv_stem", "bn1", "blocks", "conv_head", "bn2", "global_pool")
"""What a backbone needs for stage pooling: timm's EfficientNet and MobileNet layout."""


def check_stages(backbone: nn.Module, stages: Sequence[int]) -> tuple[int, ...]:
    """The stages as a tuple, checked against the backbone.

    Raises:
        ValueError: The backbone lacks the EfficientNet layout (:data:`PARTS`), or a stage is
            not a block index, or the stages repeat or are out of order.
    """
    missing = [part for part in PARTS if not hasattr(backbone, part)]
    if missing:
        raise ValueError(
            f"stage pooling needs an EfficientNet-style backbone; {type(backbone).__name__} "
            f"has no {', '.join(missing)}"
        )
    stages = tuple(int(s) for s in stages)
    count = len(backbone.blocks)
    if any(not 0 <= s < count for s in stages):
        raise ValueError(f"pool_stages must be block indices in [0, {count - 1}], got {stages}")
    if list(stages) != sorted(set(stages)):
        raise ValueError(f"pool_stages must be increasing, without repeats; got {stages}")
    return stages


def stage_feature_dim(backbone: nn.Module, stages: Sequence[int]) -> int:
    """Size of :func:`features_and_map`' features: the stages' channels and the head's (the
    backbone's own features alone when ``stages`` is empty)."""
    if not stages:
        return int(backbone.num_features)
    stages = check_stages(backbone, stages)
    channels = [_out_channels(backbone.blocks[s]) for s in stages]
    return sum(channels) + int(backbone.num_features)


def features_and_map(
    backbone: nn.Module, images: torch.Tensor, stages: Sequence[int] = (), keep: int = 0
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """An encoder's pooled features and, from the same pass, the map after its first ``keep``
    blocks (a trunk another network reads: :class:`skill.attributes.model.SharedTrunkModel`).

    Args:
        backbone: A timm EfficientNet created with ``num_classes=0``.
        images: Shape (batch, 3, size, size), normalised.
        stages: Block indices, increasing, pooled beside the head: each stage's unit-norm
            max-pooled output, then the head's unit-norm pooled features; empty gives the
            backbone's own pooled features, as ``backbone(images)`` does.
        keep: Blocks whose output map is returned too; 0 returns None.

    Returns:
        ``(features, map)``: features of shape (batch, :func:`stage_feature_dim`).
    """
    wanted = set(stages)
    x = backbone.bn1(backbone.conv_stem(images))
    parts, kept = [], None
    for index, block in enumerate(backbone.blocks):
        x = block(x)
        if index in wanted:
            parts.append(F.normalize(x.amax(dim=(2, 3)), dim=-1))
        if index == keep - 1:
            kept = x
    head = backbone.bn2(backbone.conv_head(x))
    if not stages:
        return backbone.forward_head(head), kept
    parts.append(F.normalize(backbone.global_pool(head).flatten(1), dim=-1))
    return torch.cat(parts, dim=1), kept


def _out_channels(stage: nn.Module) -> int:
    """Output channels of one block stage (the last convolution's or norm's width)."""
    for module in reversed(list(stage.modules())):
        if isinstance(module, nn.BatchNorm2d):
            return int(module.num_features)
        if isinstance(module, nn.Conv2d):
            return int(module.out_channels)
    raise ValueError("a block stage without a convolution")


__all__ = ["PARTS", "check_stages", "features_and_map", "stage_feature_dim"]
