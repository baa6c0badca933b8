"""What a design encoder says about itself: its names, description and training record.

The exported checkpoint's ``config.json`` carries them (:func:`skill.train.export.export_encoder`);
the app shows the display name and description, and the record keeps the recipe, the data, the
split and the time the run took.

Example:
    >>> folder = export_teacher(teacher, config, run.output_path / "encoder", training=record)
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import torch

from skill.encoders.heads import ProjectionHead
from skill.train.dino.config import TrainConfig
from skill.train.dino.methods import DESIGN_METHODS
from skill.train.dino.model import backbone_kwargs, eval_preprocess, pooling_kwargs
from skill.train.export import export_encoder
from skill.train.multicrop import MultiCropModel


def export_name(config: TrainConfig) -> str:
    """The exported encoder's name; the ablation never takes the shipped SkiLL name."""
    renamed = DESIGN_METHODS[config.method].export_name
    if renamed and config.name == TrainConfig.name:
        return renamed
    return config.name


def display_name(config: TrainConfig) -> str:
    """The encoder's name in the app."""
    return DESIGN_METHODS[config.method].display_name or config.display_name


def description(config: TrainConfig) -> str:
    """One or two sentences on how the encoder was trained."""
    method = DESIGN_METHODS[config.method]
    if config.bank_source == "photos":
        whitened = "; PCA-whitened on the training photos" if config.whiten_dim else ""
        return (
            "EfficientNet-Lite0 on grey photos, max-pooled; its last stage and head "
            "convolution trained with DINO self-distillation between each photo and "
            f"recoloured copies from {method.colour_space}{whitened}. No labels used."
        )
    return method.multicrop_description


def training_record(
    config: TrainConfig,
    position: dict[str, Any],
    n_images: int,
    steps_per_epoch: int,
    device: torch.device,
) -> dict[str, Any]:
    """The ``training`` entry of the exported checkpoint's config (paths as given)."""
    return {
        "method": config.method,
        "config": config.to_dict(),
        "data": {"images_dir": config.images_dir, "csv": config.csv_name, "train_images": n_images},
        "split": {
            "function": "skill.evaluation.splits.split_designs",
            "val_fraction": config.val_fraction,
            "seed": config.split_seed,
        },
        "epochs": position["epoch"],
        "steps": position["global_step"],
        "steps_per_epoch": steps_per_epoch,
        "seconds": round(position["seconds"], 1),
        "machine": f"{platform.machine()} {device.type} x{torch.get_num_threads()} threads "
        f"({os.cpu_count()} cores)",
    }


def export_teacher(
    teacher: MultiCropModel,
    config: TrainConfig,
    folder: str | os.PathLike,
    training: dict[str, Any],
    metrics: dict[str, Any],
    head: ProjectionHead | None = None,
    with_head: bool = False,
    name: str | None = None,
    display: str | None = None,
    about: str | None = None,
) -> Path:
    """Writes the teacher as an encoder checkpoint with this module's model card.

    Args:
        teacher: The model to ship (moved to the CPU).
        config: The run.
        folder: The checkpoint folder (replaced atomically).
        training: :func:`training_record`.
        metrics: Validation figures.
        head: The fitted whitening, if any.
        with_head: Ship the DINO head's MLP as the projection instead (``export_head``).
        name: Encoder name; default :func:`export_name`.
        display: Display name; default :func:`display_name`.
        about: Description; default :func:`description`.
    """
    return export_encoder(
        teacher.cpu(),
        folder,
        eval_preprocess(config),
        config.architecture,
        name=name or export_name(config),
        display_name=display or display_name(config),
        description=about or description(config),
        with_head=with_head,
        head=head,
        training=training,
        metrics=metrics,
        backbone_kwargs=backbone_kwargs(config),
        **pooling_kwargs(config),
    )
