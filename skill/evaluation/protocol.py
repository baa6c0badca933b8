"""Evaluating an encoder on a labelled catalog: colour-variant retrieval and colour invariance.

Colour-variant retrieval follows :mod:`skill.evaluation.metrics` (hit@1/5/10 and mAP).

Colour-invariance score (in the spirit of the SkiLL paper's quantitative invariance metric):
draw ``invariance_sample`` gallery images at random (seeded); for each, make one recoloured copy
per recolouring in :data:`skill.images.recolor.RECOLORINGS` (hue rotated by 180 degrees, channels
permuted to GBR, grayscale); embed each copy and search the *unaltered* gallery. The score is
the fraction of (image, recolouring) pairs whose nearest gallery image is the exact original::

    color_invariance = mean over i in sample, r in R of [ argmax_j <f(r(x_i)), f(x_j)> == i ]

1.0 means a recolouring never moves a photo away from itself; an encoder that sees mostly colour
lands nearer a colour variant or an unrelated product of the new colour.

Example:
    >>> figures = evaluate_encoder(create_encoder("imagenet-lite0"), table.items, images_dir)
    >>> figures["hit@1"], figures["color_invariance"]
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from skill.encoders.cache import EmbeddingCache, fingerprint, safe_name
from skill.encoders.embedding import EmbedResult, embed_images
from skill.encoders.encoder import Encoder
from skill.evaluation.metrics import colour_variant_retrieval, rank1_recovery
from skill.images.decode import ImageLoadError, load_image
from skill.images.recolor import RECOLORINGS, recolor
from skill.progress import Progress, offset


@dataclass(frozen=True)
class EvalConfig:
    """Settings of ``python -m skill eval``.

    Attributes:
        batch_size: Images per forward pass. Typical 16-64.
        invariance_sample: Images recoloured for the invariance score. Typical 200-2000;
            0 skips the score. Cost is 3 embeddings per sampled image.
        seed: Seed of the invariance sample.
        cache_dir: Optional embedding cache (a catalog's ``cache/`` folder works): photos
            already embedded by the same encoder weights are not embedded again.
        runtime: Embedding runtime (:func:`skill.encoders.embedding.embed_images`); ``auto`` uses
            ONNX Runtime where installed.
    """

    batch_size: int = 32
    invariance_sample: int = 500
    seed: int = 0
    cache_dir: str | None = None
    runtime: str = "auto"


def evaluate_encoder(
    encoder: Encoder,
    items: pd.DataFrame,
    images_dir: str | os.PathLike,
    config: EvalConfig = EvalConfig(),
    progress: Progress | None = None,
) -> dict[str, float]:
    """Embeds a labelled catalog and computes every figure of the README's table.

    Args:
        encoder: The encoder to evaluate.
        items: Item table with ``image_path``, ``design_id`` and ``color`` filled in.
        images_dir: Folder the image paths are relative to.
        config: Evaluation settings.
        progress: Stage ``evaluating``: every embedding, gallery and recoloured copies.

    Returns:
        ``hit@1``, ``hit@5``, ``hit@10``, ``mAP``, ``color_invariance``, ``queries``,
        ``gallery``, ``skipped`` and ``seconds``.
    """
    for column in ("design_id", "color"):
        if column not in items or (items[column].astype(str) == "").all():
            raise ValueError(f"evaluation needs a {column!r} column with values")
    start = time.perf_counter()
    root = Path(images_dir)
    paths = [root / p for p in items["image_path"]]
    n_invariance = min(config.invariance_sample, len(paths))
    total = len(paths) + n_invariance * len(RECOLORINGS)

    gallery_progress = offset(progress, "evaluating", 0, total)

    result = embed_gallery(encoder, items, root, config, gallery_progress)
    kept = items.iloc[result.indices]
    figures = colour_variant_retrieval(
        result.embeddings, kept["design_id"].tolist(), kept["color"].tolist()
    )
    figures["color_invariance"] = color_invariance(
        encoder,
        [paths[i] for i in result.indices],
        result.embeddings,
        n_invariance,
        config,
        progress=offset(progress, "evaluating", len(paths), total),
    )
    figures.update(same_design_figures(encoder, result.embeddings, kept["design_id"].to_numpy()))
    figures["skipped"] = len(result.failures)
    figures["seconds"] = round(time.perf_counter() - start, 1)
    return figures


def same_design_figures(
    encoder: Encoder, embeddings: np.ndarray, design_ids: np.ndarray
) -> dict[str, float | str]:
    """How the encoder's shipped same-design rule answers new photos of this gallery.

    Every photo is a new-photo query with itself left out of the gallery
    (:func:`skill.catalog.answer_features.leave_one_out`); the figures are
    :func:`skill.catalog.same_design.answer_metrics` under the rule in the encoder's
    ``config.json``, prefixed ``same_design_``; ``same_design_open_*`` are the same answers
    when half the queries are of designs left out of the gallery
    (:func:`skill.catalog.same_design.open_set_metrics`). NaN where the encoder ships no rule.
    """
    from skill.catalog.answer_features import leave_one_out
    from skill.catalog.same_design import SameDesignRule, answer_metrics, open_set_metrics

    record = (encoder.info.config or {}).get("same_design")
    keys = ("precision", "recall", "ece", "answered")
    open_keys = ("open_precision", "open_recall", "open_answered_absent")
    if not record:
        return {f"same_design_{key}": float("nan") for key in keys + open_keys} | {
            "same_design_rule": "none"
        }
    rule = SameDesignRule.from_dict(record)
    figures = answer_metrics(rule, leave_one_out(embeddings, design_ids, max_queries=None))
    open_set = open_set_metrics(rule, embeddings, design_ids)
    return (
        {f"same_design_{key}": figures[key] for key in keys}
        | {
            "same_design_open_precision": open_set["precision"],
            "same_design_open_recall": open_set["recall"],
            "same_design_open_answered_absent": open_set["answered_absent"],
        }
        | {"same_design_rule": str(rule.fitted.get("source", "shipped"))}
    )


def embed_gallery(encoder, items, root, config, progress) -> EmbedResult:
    """Embeds the gallery, through the embedding cache when one is configured."""
    paths = [root / p for p in items["image_path"]]
    if not config.cache_dir:
        return embed_images(
            encoder, paths, config.batch_size, progress=progress, runtime=config.runtime
        )
    cache = EmbeddingCache(
        Path(config.cache_dir) / f"{safe_name(encoder.name)}-{encoder.digest}",
        encoder.embedding_dim,
    )
    keys = [fingerprint(path, rel) for path, rel in zip(paths, items["image_path"], strict=True)]
    todo = [i for i, key in enumerate(keys) if key not in cache]
    fresh = embed_images(
        encoder,
        [paths[i] for i in todo],
        config.batch_size,
        progress=progress,
        runtime=config.runtime,
    )
    cache.put([keys[todo[j]] for j in fresh.indices], fresh.embeddings)
    failed = {todo[j]: reason for j, reason in fresh.failures}
    indices = np.asarray([i for i in range(len(keys)) if i not in failed], dtype=np.int64)
    return EmbedResult(cache.get([keys[i] for i in indices]), indices, sorted(failed.items()))


def color_invariance(
    encoder: Encoder,
    paths: list,
    gallery: np.ndarray,
    sample: int,
    config: EvalConfig = EvalConfig(),
    progress: Progress | None = None,
) -> float:
    """The colour-invariance score of the module docstring.

    Args:
        encoder: The encoder.
        paths: Image of each gallery row.
        gallery: Shape (n, dim): embeddings of ``paths``.
        sample: How many gallery images to recolour.
        config: Batch size and seed.
        progress: Reports the recoloured copies embedded (:mod:`skill.progress`).

    Returns:
        A rate in [0, 1], or NaN when ``sample`` is 0.
    """
    if sample <= 0 or len(paths) == 0:
        return float("nan")
    rng = np.random.default_rng(config.seed)
    chosen = np.sort(rng.choice(len(paths), size=min(sample, len(paths)), replace=False))
    copies, originals = [], []
    for i in chosen:
        try:
            image = load_image(paths[i])
        except ImageLoadError:
            continue
        for name in RECOLORINGS:
            copies.append(recolor(image, name))
            originals.append(i)
    result = embed_images(
        encoder, copies, config.batch_size, progress=progress, runtime=config.runtime
    )
    return rank1_recovery(result.embeddings, gallery, np.asarray(originals)[result.indices])
