"""Validation figures of a design run's teacher, as the exported encoder would score.

Example:
    >>> metrics = evaluate_teacher(teacher, config, val_items, head=whitening)
    >>> metrics["hit@1"]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from skill.encoders.heads import ProjectionHead
from skill.evaluation.protocol import EvalConfig, evaluate_encoder
from skill.progress import Progress
from skill.train.dino.config import TrainConfig
from skill.train.dino.model import eval_preprocess, pooling_kwargs
from skill.train.export import encoder_from_model
from skill.train.multicrop import MultiCropModel


def evaluate_teacher(
    teacher: MultiCropModel,
    config: TrainConfig,
    val_items: pd.DataFrame | None,
    head: ProjectionHead | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Validation figures of the teacher as it would ship
    (:func:`skill.evaluation.protocol.evaluate_encoder`), through ``head`` (the fitted
    whitening) when given; empty without validation photos.

    Args:
        teacher: The model; left in the training mode it was in.
        config: The run (preprocessing, images folder, invariance sample).
        val_items: Validation item table, or None.
        head: A fitted projection to embed through.
        progress: Reports stage ``evaluating``.
    """
    if val_items is None or len(val_items) == 0:
        return {}
    encoder = encoder_from_model(
        teacher,
        eval_preprocess(config),
        config.architecture,
        config.export_head,
        head,
        **pooling_kwargs(config),
    )
    was_training = teacher.training
    figures = evaluate_encoder(
        encoder,
        val_items,
        config.images_path,
        EvalConfig(invariance_sample=config.invariance_sample),
        progress=progress,
    )
    teacher.train(was_training)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}
