"""DINO's projection head: an MLP to a bottleneck, then a weight-normalised prototype layer.

Caron et al., "Emerging Properties in Self-Supervised Vision Transformers", ICCV 2021. The MLP
(``layers``) has exactly the layout of :class:`skill.encoders.heads.ProjectionHead` (Linear-GELU blocks),
so a trained head's MLP can ship as the encoder's projection (see :mod:`skill.train.export`).

Example:
    >>> head = DINOHead(1280, out_dim=8192)
    >>> head(torch.randn(4, 1280)).shape
    torch.Size([4, 8192])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm


class DINOHead(nn.Module):
    """MLP, L2 normalisation, then a weight-normalised linear layer without bias.

    Args:
        in_dim: Backbone feature size (1280 for EfficientNet-Lite0).
        out_dim: Number of prototypes. Typical 4096-65536; 4096-16384 on a CPU.
        hidden_dim: Width of the hidden layers. Typical 512-2048.
        bottleneck_dim: Size before the prototype layer. Typical 128-256.
        num_layers: Linear layers of the MLP, at least 2. Typical 3.
        norm_last_layer: Fix the prototype norms to 1 (DINO's stabilising default).
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int = 8192,
        hidden_dim: int = 1024,
        bottleneck_dim: int = 256,
        num_layers: int = 3,
        norm_last_layer: bool = True,
    ) -> None:
        super().__init__()
        if num_layers < 2:
            raise ValueError(f"num_layers must be >= 2, got {num_layers}")
        dims = [in_dim] + [hidden_dim] * (num_layers - 1)
        blocks: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            blocks += [nn.Linear(a, b), nn.GELU()]
        blocks.append(nn.Linear(dims[-1], bottleneck_dim))
        self.layers = nn.Sequential(*blocks)
        for module in self.layers:
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)
        self.last_layer = weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))
        self.last_layer.parametrizations.weight.original0.data.fill_(1.0)
        if norm_last_layer:
            self.last_layer.parametrizations.weight.original0.requires_grad = False
        self.spec = {
            "type": "mlp",
            "in_dim": in_dim,
            "out_dim": bottleneck_dim,
            "hidden_dim": hidden_dim,
            "num_layers": num_layers,
        }

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Maps features of shape (batch, in_dim) to logits of shape (batch, out_dim)."""
        return self.last_layer(F.normalize(self.layers(features), dim=-1))
