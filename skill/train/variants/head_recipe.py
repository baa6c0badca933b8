"""The ``cpu`` recipe of the colour-variant encoders: a projection head on frozen features.

:func:`head_variant` runs it end to end:

1. the shared design-disjoint split (:func:`skill.train.variants.data.read_variant_split`);
2. frozen ``imagenet-lite0`` features, cached once (:mod:`skill.train.variants.data`): of the
   whole photos for a metric method, of each photo's views for a contrastive one;
3. a projection head trained on them (:mod:`skill.train.variants.head_training`), resumable;
4. the validation figures of the README's table from cached features
   (:func:`evaluate_head`): hit@1/5/10 and mAP with the validation photos as gallery, and the
   colour-invariance score on the same recoloured sample :mod:`skill.evaluation.protocol` draws;
5. the encoder (ImageNet backbone + trained head) exported as a checkpoint folder
   (:func:`skill.train.variants.export.export_variant_encoder`).

Example:
    >>> summary = head_variant(find_recipe("atl", "cpu").configure(epochs=20))
    >>> load_encoder(summary["encoder"])
"""

from __future__ import annotations

import json
import time
from typing import Any

import pandas as pd
import torch

from skill.evaluation.metrics import colour_variant_retrieval, rank1_recovery
from skill.progress import Progress
from skill.train.variants.config import VariantConfig
from skill.train.variants.data import (
    read_variant_split,
    recolored_features,
    select_train_photos,
    view_features,
    whole_photo_features,
)
from skill.train.variants.export import export_variant_encoder
from skill.train.variants.head_training import (
    embed_features,
    train_contrastive_head,
    train_metric_head,
)
from skill.train.variants.methods import VARIANT_METHODS


def head_variant(config: VariantConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Trains, evaluates and exports one colour-variant encoder (see module docstring).

    Args:
        config: The run (``recipe`` ``"cpu"``).
        progress: Reports the feature, training (``epochs``) and evaluation stages.

    Returns:
        ``encoder`` (the exported folder, ``<output_dir>/encoder``) and ``output_dir``.
    """
    if config.recipe != "cpu":
        raise ValueError(f"head_variant runs the cpu recipe, got recipe={config.recipe!r}")
    method = VARIANT_METHODS[config.method]
    out = config.output_path
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    def log(record: dict[str, Any]) -> None:
        with open(out / "log.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"method": config.method, **record}) + "\n")

    train_items, val_items = read_variant_split(config)
    if method.supervised:
        train_items = select_train_photos(train_items, config)
        log({"train_photos": len(train_items), "input_size": config.input_size})
        features = whole_photo_features(config, train_items["image_path"].tolist(), progress)
        supervision = method.supervision(config, train_items)
        head = train_metric_head(features, supervision, config, out / "state", progress, log)
    else:
        views = view_features(config, train_items, progress)
        head = train_contrastive_head(views, config, out / "state", progress, log)
    metrics = evaluate_head(head, config, val_items, progress)
    metrics["train_seconds"] = round(time.perf_counter() - start, 1)
    log({"final": True, **metrics})
    folder = export_variant_encoder(head, config, metrics, out / "encoder")
    return {"encoder": str(folder), "output_dir": config.output_dir}


def evaluate_head(
    head: torch.nn.Module | None,
    config: VariantConfig,
    val_items: pd.DataFrame,
    progress: Progress | None = None,
) -> dict[str, float]:
    """Validation figures of a head (or of the raw features when ``head`` is None).

    Gallery = the validation photos; the invariance score recolours ``config.invariance_sample``
    of them, drawn as :func:`skill.evaluation.protocol.color_invariance` draws (seed 0), and
    searches the gallery with each copy.

    Args:
        head: The trained head, or None.
        config: Feature folders, input size, invariance sample.
        val_items: The validation photos.
        progress: Reports stages ``val features`` and ``recoloured``.
    """
    paths = val_items["image_path"].tolist()
    gallery = whole_photo_features(config, paths, progress, stage="val features")
    copies, originals = recolored_features(config, paths, progress=progress)
    if head is not None:
        gallery, copies = embed_features(head, gallery), embed_features(head, copies)
    figures = colour_variant_retrieval(
        gallery,
        val_items["design_id"].astype(str).tolist(),
        val_items["color"].astype(str).tolist(),
    )
    figures["color_invariance"] = rank1_recovery(copies, gallery, originals)
    return figures
