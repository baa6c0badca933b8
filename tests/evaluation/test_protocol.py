"""Tests of skill.evaluation.protocol's colour-invariance score with encoders of known behaviour.

Two hand-made encoders bracket the score: one sees only the product's silhouette (blind to
colour by construction: every recolouring finds its own original), the other only the mean
colour (a recoloured copy lands on another product of the new colour).
"""

import numpy as np
import torch
from torch import nn

from skill.encoders.encoder import Encoder, EncoderInfo
from skill.evaluation.protocol import EvalConfig, color_invariance
from skill.images.preprocess import Preprocess
from tests.shapes import FILLS, SHAPES, draw_shape

CONFIG = EvalConfig(batch_size=8, runtime="torch")
# Background of the shapes is white: 1.0 in every channel after normalising with mean 0, std 1.
PREPROCESS = Preprocess(input_size=32, resize_mode="pad", mean=(0, 0, 0), std=(1, 1, 1))


class Silhouette(nn.Module):
    """Where the product is (any channel below white), pooled to 8 x 8: colour-blind."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        product = (images.min(dim=1).values < 0.9).float()[:, None]
        return nn.functional.adaptive_avg_pool2d(product, 8).flatten(1) + 1e-3


class MeanColour(nn.Module):
    """The mean colour of the product pixels: design-blind."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        product = (images.min(dim=1, keepdim=True).values < 0.9).float()
        return (images * product).sum(dim=(2, 3)) / product.sum(dim=(2, 3)).clamp(min=1) - 0.5


def _encoder(backbone: nn.Module, dim: int) -> Encoder:
    info = EncoderInfo("test", "test", "experiment", "none", dim, "test")
    return Encoder(backbone, PREPROCESS, info)


def _gallery(tmp_path):
    """One photo per shape, each in its own colour (no two photos share shape or colour)."""
    paths = []
    for shape, fill in zip(SHAPES, FILLS, strict=True):
        path = tmp_path / f"{shape}.png"
        draw_shape(shape, FILLS[fill]).save(path)
        paths.append(path)
    return paths


def _score(encoder, paths):
    from skill.encoders.embedding import embed_images

    gallery = embed_images(encoder, paths, runtime="torch").embeddings
    return color_invariance(encoder, paths, gallery, sample=len(paths), config=CONFIG)


def test_a_colour_blind_encoder_always_finds_the_original(tmp_path):
    assert _score(_encoder(Silhouette(), 64), _gallery(tmp_path)) == 1.0


def test_a_colour_only_encoder_is_pulled_away_by_recolouring(tmp_path):
    # A recolouring that left the photo untouched would give this encoder 1.0 as well.
    assert _score(_encoder(MeanColour(), 3), _gallery(tmp_path)) <= 0.5


def test_no_sample_gives_nan(tmp_path):
    paths = _gallery(tmp_path)
    gallery = np.eye(len(paths), dtype=np.float32)
    assert np.isnan(color_invariance(_encoder(Silhouette(), 64), paths, gallery, sample=0))
