"""The last step of a training run held out from its tune designs: fit and ship its same-design rule.

A run with ``tune_fraction > 0`` never trains on the tune designs (held-out training designs,
:mod:`skill.evaluation.splits`), so its exported encoder can be calibrated on them: the rule
(:mod:`skill.catalog.same_design`) is fitted there and written into the checkpoint's
``config.json``, and the rule's answers are then measured on the run's evaluation photos
(``same_design_precision`` / ``_recall`` / ``_ece`` in its metrics).

Example:
    >>> figures = calibrate_export(folder, config, val_items, progress)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from skill.encoders.checkpoint import json_ready, read_config, write_config
from skill.encoders.embedding import embed_images
from skill.encoders.encoder import load_encoder
from skill.evaluation.calibration import calibrate_encoder, store_rule
from skill.evaluation.protocol import same_design_figures
from skill.evaluation.splits import read_split, split_tune
from skill.progress import Progress


def calibrate_export(
    folder: str | os.PathLike,
    config: Any,
    eval_items: pd.DataFrame | None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Fits the rule on the run's tune designs, ships it, measures it on ``eval_items``.

    Args:
        folder: The exported checkpoint folder (its ``config.json`` is rewritten; the weights
            are not).
        config: The run's config (``images_path``, ``csv_name``, ``val_fraction``,
            ``split_seed``, ``tune_fraction``).
        eval_items: The photos the run is evaluated on; None or empty skips the measurement.
        progress: Reports the embedding stages.

    Returns:
        The same-design figures added to the checkpoint's metrics; empty when the run trained
        on its tune designs (there is nothing unseen to fit the rule on), and the reason in
        ``same_design_rule`` when the tune designs could not fit one.
    """
    if config.tune_fraction <= 0 or config.evaluate_on == "tune":
        return {}  # nothing unseen to fit on, or a run that chooses settings on the tune designs
    folder = Path(folder)
    images = config.images_path
    train, _ = read_split(images, config.csv_name, config.val_fraction, config.split_seed)
    _, tune = split_tune(train, config.tune_fraction)
    where = f"held-out training designs (tune split) of {images.name}"
    encoder = load_encoder(folder)
    try:
        record = calibrate_encoder(encoder, tune, images, where, progress=progress)
    except ValueError as error:  # too few tune photos, or answers all right or all wrong
        return {"same_design_rule": f"none: {error}"}
    store_rule(encoder, record)
    if eval_items is None or len(eval_items) == 0:
        return {}
    encoder = load_encoder(folder)
    result = embed_images(
        encoder, [images / p for p in eval_items["image_path"]], progress=progress,
        runtime="auto",
    )  # fmt: skip
    kept = eval_items.iloc[result.indices]
    figures = same_design_figures(encoder, result.embeddings, kept["design_id"].to_numpy())
    figures = json_ready(figures)
    checkpoint = read_config(folder)
    write_config(folder, {**checkpoint, "metrics": {**checkpoint.get("metrics", {}), **figures}})
    return figures
