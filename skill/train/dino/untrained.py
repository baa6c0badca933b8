"""The row that shows what training adds: a design recipe's starting point, exported untrained.

The ImageNet backbone with the recipe's pooling, input and whitening (fitted on the same
training photos), evaluated like a trained run.

Example:
    >>> summary = export_untrained(PRESETS["cpu"])
    >>> summary["metrics"]["hit@1"]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from skill.progress import Progress
from skill.train.calibrate import calibrate_export
from skill.train.device import resolve_device
from skill.train.dino.banks import build_run_photo_bank
from skill.train.dino.card import export_teacher, training_record
from skill.train.dino.config import TrainConfig
from skill.train.dino.data import split_items
from skill.train.dino.evaluate import evaluate_teacher
from skill.train.dino.model import create_model, pooling_kwargs
from skill.train.dino.whitening import fit_teacher_whitening

DESCRIPTION = (
    "The ImageNet backbone a SkiLL run starts from, with the recipe's input, pooling and "
    "whitening; no training. What the recipe's training adds is measured against it."
)


def export_untrained(
    config: TrainConfig,
    progress: Progress | None = None,
    val_items: pd.DataFrame | None = None,
    train_items: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Exports and evaluates the recipe's starting point as ``<output_dir>/encoder``.

    Args:
        config: The recipe.
        progress: Reports the photo bank and evaluation stages.
        val_items: Validation items; default: the held-out designs.
        train_items: Training items (photo bank, whitening); default: the training designs.

    Returns:
        Summary as :func:`skill.train.dino.trainer.train`'s (``epochs`` 0).
    """
    device = resolve_device(config.device)
    if train_items is None or val_items is None:
        train_items, val_items = split_items(config, train_items, val_items)
    model = create_model(config).to(device)
    bank = None  # the whitening's photos: a photo bank, unless the encoder must run on them
    if config.bank_source == "photos" and not pooling_kwargs(config):
        bank = build_run_photo_bank(config, model, train_items, device, progress=progress)
    whitening = (
        fit_teacher_whitening(model, config, train_items, bank, device, progress)
        if config.whiten_dim
        else None
    )
    metrics = (
        evaluate_teacher(model, config, val_items, whitening, progress)
        if config.eval_at_end
        else {}
    )
    position = {"epoch": 0, "global_step": 0, "seconds": 0.0}
    folder = export_teacher(
        model,
        config,
        config.output_path / "encoder",
        training=training_record(config, position, len(train_items), 0, device),
        metrics=metrics,
        head=whitening,
        name=f"{config.name}-untrained",
        display="Design start point (no training)",
        about=DESCRIPTION,
    )
    metrics = {**metrics, **calibrate_export(folder, config, val_items, progress)}
    return {"encoder": str(folder), "metrics": metrics, "epochs": 0, "seconds": 0.0}
