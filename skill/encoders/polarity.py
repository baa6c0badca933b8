"""Polarity pooling: a photo and its product inverted, described as one.

In grey, a black and a white colourway of one design are close to negatives of each other:
the same seams, collar and motif, opposite luminance. An encoder on grey input is blind to hue
but still tells them apart. Polarity pooling embeds each photo twice, as it is and with the
product's pixels inverted on the unchanged background (:func:`invert_product`), and adds the
two pooled feature vectors before the encoder's head. The sum is the same for a photo and its
inverted copy, so a dark and a light colourway of one design get one description, which is
what SkiLL's colour-variant augmentation space asks of the encoder (the product inverted half
the time) without any training.

The inversion runs inside the network, on the normalised batch, so every runtime (torch, an
ONNX export, its int8 copy) computes the same thing from the same input.

Example:
    >>> inverted = invert_product(batch, preprocess.mean, preprocess.std)  # same shape
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

PRODUCT_THRESHOLD = 24 / 255
"""Least difference from the background colour, in any channel on a 0-1 scale, that makes a
pixel part of the product; SkiLL's training-time inversion
(:func:`skill.train.dino.views.invert_foreground`) uses it too."""


def invert_product(
    images: torch.Tensor,
    mean: Sequence[float],
    std: Sequence[float],
    threshold: float = PRODUCT_THRESHOLD,
) -> torch.Tensor:
    """The batch with each photo's product pixels inverted and its background kept.

    The background colour is the median of the outer frame of each image as the network
    sees it (after the centre crop), channel by channel; a pixel belongs to the product when
    it differs from it by more than ``threshold`` in some channel.

    Args:
        images: Shape (batch, channels, height, width), normalised with ``mean`` and ``std``.
        mean: Per-channel mean of the normalisation (:attr:`Preprocess.mean`).
        std: Per-channel standard deviation of the normalisation.
        threshold: Product threshold on a 0-1 pixel scale.

    Returns:
        The same shape and normalisation.
    """
    # Channel by channel with plain numbers: no tensor constants to trace or move to a device.
    channels = range(len(mean))
    pixels = torch.stack([images[:, c] * std[c] + mean[c] for c in channels], dim=1)
    frame = torch.cat(
        [pixels[:, :, 0, :], pixels[:, :, -1, :], pixels[:, :, :, 0], pixels[:, :, :, -1]], dim=2
    )
    # A sort, not torch.median: it exports to ONNX (TopK) at every opset the project uses.
    background = frame.sort(dim=2).values[:, :, frame.shape[2] // 2]
    product = (pixels - background[:, :, None, None]).abs().amax(dim=1, keepdim=True) > threshold
    inverted = torch.where(product, 1.0 - pixels, pixels)
    return torch.stack([(inverted[:, c] - mean[c]) / std[c] for c in channels], dim=1)


__all__ = ["PRODUCT_THRESHOLD", "invert_product"]
