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
    >>> mean, std = torch.tensor(preprocess.mean), torch.tensor(preprocess.std)
    >>> inverted = invert_product(batch, mean, std)  # same shape and normalisation
"""

from __future__ import annotations

import torch

PRODUCT_THRESHOLD = 24 / 255
"""Least difference from the background colour, in any channel on a 0-1 scale, that makes a
pixel part of the product (the threshold of SkiLL's training-time inversion,
:func:`skill.train.dino.views.invert_foreground`)."""


def invert_product(
    images: torch.Tensor,
    mean: torch.Tensor,
    std: torch.Tensor,
    threshold: float = PRODUCT_THRESHOLD,
) -> torch.Tensor:
    """The batch with each photo's product pixels inverted and its background kept.

    The background colour is the median of the photo's outer frame, channel by channel; a
    pixel belongs to the product when it differs from it by more than ``threshold`` in some
    channel.

    Args:
        images: Shape (batch, channels, height, width), normalised with ``mean`` and ``std``.
        mean: Per-channel mean of the normalisation, shape (channels,).
        std: Per-channel standard deviation of the normalisation, shape (channels,).
        threshold: Product threshold on a 0-1 pixel scale.

    Returns:
        The same shape and normalisation.
    """
    mean = mean.to(images.dtype).reshape(1, -1, 1, 1)
    std = std.to(images.dtype).reshape(1, -1, 1, 1)
    pixels = images * std + mean
    frame = torch.cat(
        [pixels[:, :, 0, :], pixels[:, :, -1, :], pixels[:, :, :, 0], pixels[:, :, :, -1]], dim=2
    )
    # A sort, not torch.median: it exports to ONNX (TopK) at every opset the project uses.
    background = frame.sort(dim=2).values[:, :, frame.shape[2] // 2]
    product = (pixels - background[:, :, None, None]).abs().amax(dim=1, keepdim=True) > threshold
    return (torch.where(product, 1.0 - pixels, pixels) - mean) / std


__all__ = ["PRODUCT_THRESHOLD", "invert_product"]
