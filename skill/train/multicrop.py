"""A backbone + DINO head run over multi-crop views, with an optionally frozen trunk.

DINO's ``MultiCropWrapper`` (Caron et al., ICCV 2021) concatenates views of equal resolution
so that each resolution costs one forward pass. On a CPU most of the time goes into the early
high-resolution layers, so the first ``frozen_stages`` stages (stem included) can be frozen:
they keep their ImageNet filters (edges, textures), run without gradients, and since the
student and the teacher hold equal copies of them, the trainer runs the frozen trunk once per
view and feeds both (:meth:`MultiCropModel.run_trunk`, :meth:`MultiCropModel.run_tail`).

Freezing needs a timm EfficientNet/MobileNet-style model (``conv_stem``, ``bn1``, ``blocks``,
``conv_head``, ``bn2``, ``global_pool``); with ``frozen_stages=0`` any timm model works.

Example:
    >>> model = MultiCropModel(create_backbone("tf_efficientnet_lite0"), DINOHead(1280), 4)
    >>> trunk = model.run_trunk(torch.cat(global_views))  # no gradients
    >>> logits = model.head(model.run_tail(trunk))
"""

from __future__ import annotations

import torch
from torch import nn


class MultiCropModel(nn.Module):
    """Backbone and head, split into a frozen trunk and a trained tail.

    Args:
        backbone: timm model with ``num_classes=0``.
        head: Projection head, e.g. :class:`skill.train.dino.dino_head.DINOHead`.
        frozen_stages: Stages of ``backbone.blocks`` frozen after the stem; 0 freezes nothing.
            Typical 0 (GPU) to 5 (CPU, of EfficientNet-Lite0's 7).
        freeze_batchnorm: Keep every BatchNorm in eval mode (ImageNet statistics). Steadier
            with the small batches of a CPU.
    """

    def __init__(
        self,
        backbone: nn.Module,
        head: nn.Module,
        frozen_stages: int = 0,
        freeze_batchnorm: bool = False,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.frozen_stages = frozen_stages
        self.freeze_batchnorm = freeze_batchnorm
        if frozen_stages > 0:
            if not all(hasattr(backbone, a) for a in ("conv_stem", "bn1", "blocks", "conv_head")):
                raise ValueError(
                    "frozen_stages > 0 needs an EfficientNet/MobileNet-style timm model "
                    f"(conv_stem, bn1, blocks, conv_head); got {type(backbone).__name__}"
                )
            if frozen_stages > len(backbone.blocks):
                raise ValueError(
                    f"frozen_stages must be <= {len(backbone.blocks)}, got {frozen_stages}"
                )
            for module in self.trunk_modules():
                module.requires_grad_(False)

    def trunk_modules(self) -> list[nn.Module]:
        """The frozen modules, in order."""
        if self.frozen_stages == 0:
            return []
        b = self.backbone
        return [b.conv_stem, b.bn1, *list(b.blocks)[: self.frozen_stages]]

    def train(self, mode: bool = True) -> MultiCropModel:
        super().train(mode)
        for module in self.trunk_modules():
            module.eval()
        if self.freeze_batchnorm:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def run_trunk(self, images: torch.Tensor) -> torch.Tensor:
        """Runs the frozen trunk without gradients.

        Args:
            images: Shape (batch, 3, size, size).

        Returns:
            The trunk's feature map (the images themselves when nothing is frozen).
        """
        if self.frozen_stages == 0:
            return images
        with torch.no_grad():
            x = images
            for module in self.trunk_modules():
                x = module(x)
        return x

    def run_tail(self, trunk_features: torch.Tensor) -> torch.Tensor:
        """Runs the trained part of the backbone up to pooled features.

        Args:
            trunk_features: Output of :meth:`run_trunk`.

        Returns:
            Shape (batch, num_features).
        """
        if self.frozen_stages == 0:
            return self.backbone(trunk_features)
        b = self.backbone
        x = trunk_features
        for stage in list(b.blocks)[self.frozen_stages :]:
            x = stage(x)
        x = b.bn2(b.conv_head(x))
        return b.forward_head(x)

    def forward(self, views: list[torch.Tensor]) -> torch.Tensor:
        """Embeds views of possibly different resolutions, one pass per resolution.

        Args:
            views: Tensors of shape (batch, 3, size_i, size_i).

        Returns:
            Shape (len(views) * batch, out_dim), view-major.
        """
        features = []
        start = 0
        while start < len(views):
            end = start
            while end < len(views) and views[end].shape[-1] == views[start].shape[-1]:
                end += 1
            features.append(self.run_tail(self.run_trunk(torch.cat(views[start:end]))))
            start = end
        return self.head(torch.cat(features))
