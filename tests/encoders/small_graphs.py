"""A small inverted-residual network exported to ONNX, for tests of int8 graphs."""

from pathlib import Path

import numpy as np
import torch
from torch import nn


class Block(nn.Module):
    """A stem, then expand (1x1), depthwise 3x3 and project (1x1), as in EfficientNet-Lite."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.expand = nn.Conv2d(8, 32, 1)
        self.depthwise = nn.Conv2d(32, 32, 3, padding=1, groups=32)
        self.project = nn.Conv2d(32, 16, 1)

    def forward(self, x):
        x = torch.clamp(self.stem(x), 0, 6)
        x = torch.clamp(self.depthwise(torch.clamp(self.expand(x), 0, 6)), 0, 6)
        return self.project(x).mean(dim=(2, 3))


def export_block(path: Path, seed: int = 0) -> Path:
    """Writes a seeded :class:`Block` as an ONNX graph with input ``images`` (any batch)."""
    torch.manual_seed(seed)
    torch.onnx.export(
        Block().eval(), (torch.rand(4, 3, 32, 32),), str(path), dynamo=False,
        input_names=["images"], output_names=["out"], dynamic_axes={"images": {0: "batch"}},
        opset_version=17,
    )  # fmt: skip
    return path


def random_batches(count: int, seed: int = 0) -> list[np.ndarray]:
    """``count`` seeded batches of 4 random 32x32 photos, float32."""
    rng = np.random.default_rng(seed)
    return [rng.random((4, 3, 32, 32), np.float32) for _ in range(count)]
