"""Projection heads that turn backbone features into the embedding an index stores."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from torch import nn

HEAD_TYPES = ("mlp", "linear")


class ProjectionHead(nn.Module):
    """An MLP (or one linear layer) from backbone features to the embedding.

    Args:
        in_dim: Backbone feature size, e.g. 1280 for EfficientNet-Lite0.
        out_dim: Embedding size. Typical 128-512: smaller is cheaper to store and search.
        hidden_dim: Width of the hidden layers (``mlp`` only). Typical 512-2048.
        num_layers: Linear layers in total (``mlp`` only), at least 2. Typical 2-3.
        head_type: ``"mlp"`` (Linear-GELU blocks) or ``"linear"``.
        normalize_input: L2-normalise the features first. Lets a head trained on unit-norm
            cached features (a catalog's stored embeddings) run on raw backbone output.

    Example:
        >>> head = ProjectionHead(1280, 256)
        >>> head(torch.randn(4, 1280)).shape
        torch.Size([4, 256])
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        hidden_dim: int = 1024,
        num_layers: int = 2,
        head_type: str = "mlp",
        normalize_input: bool = False,
    ) -> None:
        super().__init__()
        if head_type not in HEAD_TYPES:
            raise ValueError(f"head_type must be one of {HEAD_TYPES}, got {head_type!r}")
        if head_type == "linear":
            self.layers = nn.Sequential(nn.Linear(in_dim, out_dim))
        else:
            if num_layers < 2:
                raise ValueError(f"an mlp head needs num_layers >= 2, got {num_layers}")
            dims = [in_dim] + [hidden_dim] * (num_layers - 1)
            blocks: list[nn.Module] = []
            for a, b in zip(dims[:-1], dims[1:], strict=True):
                blocks += [nn.Linear(a, b), nn.GELU()]
            blocks.append(nn.Linear(dims[-1], out_dim))
            self.layers = nn.Sequential(*blocks)
        self.spec = {
            "type": head_type,
            "in_dim": in_dim,
            "out_dim": out_dim,
            "hidden_dim": hidden_dim,
            "num_layers": num_layers,
        }
        self.normalize_input = normalize_input
        if normalize_input:
            self.spec["normalize_input"] = True

    def forward(self, x):
        if self.normalize_input:
            x = F.normalize(x, dim=-1)
        return self.layers(x)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ProjectionHead:
        """Builds a head from the ``head`` entry of a checkpoint config."""
        return cls(
            in_dim=int(spec["in_dim"]),
            out_dim=int(spec["out_dim"]),
            hidden_dim=int(spec.get("hidden_dim", 1024)),
            num_layers=int(spec.get("num_layers", 2)),
            head_type=str(spec.get("type", "mlp")),
            normalize_input=bool(spec.get("normalize_input", False)),
        )
