"""Turning a trained teacher into an encoder checkpoint folder that :func:`load_encoder` reads.

The teacher (the EMA of the student) is what DINO evaluates and what ships. Its backbone goes
to ``backbone.*``; with ``with_head`` the DINO head's MLP (same layout as
:class:`skill.encoders.heads.ProjectionHead`) goes to ``head.*`` and the embedding is its bottleneck;
with ``head`` a projection fitted after training (the whitening) goes there instead;
otherwise the embedding is the pooled backbone features.

Example:
    >>> folder = export_encoder(teacher, "runs/skill/encoder", preprocess, name="skill-design")
    >>> encoder = load_encoder(folder)
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from skill.encoders.checkpoint import save_checkpoint
from skill.encoders.encoder import Encoder, EncoderInfo, load_encoder
from skill.encoders.heads import ProjectionHead
from skill.encoders.stage_pooling import stage_feature_dim
from skill.images.preprocess import Preprocess
from skill.train.multicrop import MultiCropModel


def export_encoder(
    model: MultiCropModel,
    folder: str | os.PathLike,
    preprocess: Preprocess,
    architecture: str,
    name: str,
    display_name: str = "",
    description: str = "",
    with_head: bool = False,
    training: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    backbone_kwargs: dict[str, Any] | None = None,
    head: ProjectionHead | None = None,
    pool_stages: tuple[int, ...] = (),
    polarity_views: bool = False,
) -> Path:
    """Writes ``model.safetensors`` + ``config.json`` for the model's backbone (and head MLP).

    Args:
        model: The trained teacher.
        folder: Destination checkpoint folder (replaced atomically).
        preprocess: How the encoder wants its pixels.
        architecture: timm name of the backbone.
        name: Encoder id, e.g. ``skill-design``.
        display_name: Name in the app.
        description: One or two sentences for the model card.
        with_head: Embed through the head's MLP bottleneck.
        training: The recipe (method, config, data, split, epochs, seconds, machine).
        metrics: Validation figures.
        backbone_kwargs: ``timm.create_model`` arguments the backbone was built with (e.g.
            ``{"global_pool": "max"}``); stored so that :func:`load_encoder` rebuilds it.
        head: A projection fitted after training (the whitening of
            :func:`skill.train.dino.whitening.fit_teacher_whitening`) to ship instead of the DINO
            head's MLP; not with ``with_head``.
        pool_stages: Block stages pooled beside the backbone's features
            (:mod:`skill.encoders.stage_pooling`); the head, if any, maps their concatenation.
        polarity_views: Pool each photo and its product inverted, summed
            (:mod:`skill.encoders.polarity`).

    Returns:
        The folder.
    """
    state = {f"backbone.{k}": v for k, v in model.backbone.state_dict().items()}
    feature_dim = stage_feature_dim(model.backbone, pool_stages)
    head_spec = None
    embedding_dim = feature_dim
    if with_head and head is not None:
        raise ValueError("with_head and head are exclusive")
    if head is not None:
        head_spec = dict(head.spec)
        state.update({f"head.{k}": v for k, v in head.state_dict().items()})
        embedding_dim = int(head_spec["out_dim"])
    if with_head:
        head_spec = dict(model.head.spec)
        state.update({f"head.layers.{k}": v for k, v in model.head.layers.state_dict().items()})
        embedding_dim = int(head_spec["out_dim"])
    config = {
        "name": name,
        "display_name": display_name or name,
        "description": description,
        "role": "design",
        "architecture": architecture,
        "backbone_kwargs": dict(backbone_kwargs or {}),
        **({"pool_stages": list(pool_stages)} if pool_stages else {}),
        **({"polarity_views": True} if polarity_views else {}),
        "feature_dim": feature_dim,
        "embedding_dim": embedding_dim,
        "preprocess": preprocess.to_dict(),
        "head": head_spec,
        "training": training or {},
        "metrics": metrics or {},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return save_checkpoint(folder, state, config)


def ship_encoder(
    source: str | os.PathLike,
    destination: str | os.PathLike,
    training_notes: dict[str, Any] | None = None,
    name: str | None = None,
    description: str | None = None,
    display_name: str | None = None,
) -> Path:
    """Copies a run's exported encoder to where the app finds it, adding notes to its recipe.

    Args:
        source: The run's ``encoder/`` folder.
        destination: E.g. ``assets/encoders/skill-design``.
        training_notes: Merged into the config's ``training`` entry (e.g. the ablation's and
            the baseline's validation figures).
        name: New encoder name (default: the run's), e.g. the destination folder's.
        description: New model-card description (default: the run's).
        display_name: New name in the app (default: the run's).

    Returns:
        The destination; it loads strictly with :func:`load_encoder`.
    """
    from skill.encoders.checkpoint import load_checkpoint

    state, config = load_checkpoint(source)
    config = dict(config)
    config.pop("format_version", None)
    config["training"] = {**config.get("training", {}), **(training_notes or {})}
    if name:
        config["name"] = name
    if description:
        config["description"] = description
    if display_name:
        config["display_name"] = display_name
    folder = save_checkpoint(destination, state, config)
    load_encoder(folder)
    return folder


def encoder_from_model(
    model: MultiCropModel,
    preprocess: Preprocess,
    architecture: str,
    with_head: bool = False,
    head: ProjectionHead | None = None,
    pool_stages: tuple[int, ...] = (),
    polarity_views: bool = False,
) -> Encoder:
    """Wraps a model as an in-memory :class:`Encoder` (for evaluation during training),
    through ``head`` (a fitted projection) when given, pooling ``pool_stages`` too, and each
    photo's product inverted with ``polarity_views``."""
    embedding_dim = (
        int(head.spec["out_dim"])
        if head is not None
        else stage_feature_dim(model.backbone, pool_stages)
    )
    if with_head:
        head = ProjectionHead.from_spec(model.head.spec)
        head.layers.load_state_dict(model.head.layers.state_dict())
        embedding_dim = int(model.head.spec["out_dim"])
    info = EncoderInfo(
        name="training",
        display_name="training",
        role="experiment",
        architecture=architecture,
        embedding_dim=embedding_dim,
        source="training",
    )
    return Encoder(
        model.backbone, preprocess, info, head, pool_stages, polarity_views=polarity_views
    ).eval()


__all__ = ["encoder_from_model", "export_encoder", "ship_encoder"]
