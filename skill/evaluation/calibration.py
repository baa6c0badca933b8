"""Fitting an encoder's same-design rule on labelled photos, and storing it with the encoder.

The rule (:mod:`skill.catalog.same_design`) must be fitted on designs the encoder was not
trained on (its scores on training designs are inflated): the tune split of the shared H&M
folder for the shipped encoders (:mod:`skill.evaluation.splits`), or any labelled folder the
encoder never saw.

Example:
    >>> record = calibrate_encoder(encoder, tune_items, images_dir, where="held-out designs")
    >>> store_rule(encoder, record)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from skill.catalog.answer_features import describe_queries, leave_one_out
from skill.catalog.same_design import fit_rule
from skill.encoders.embedding import embed_images
from skill.encoders.encoder import Encoder
from skill.progress import Progress


def calibrate_encoder(
    encoder: Encoder,
    items: pd.DataFrame,
    images_dir: str | os.PathLike,
    where: str,
    target_precision: float = 0.92,
    runtime: str = "auto",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Embeds labelled photos, searches each with itself left out, fits the rule.

    Args:
        encoder: The encoder.
        items: Item table with ``image_path`` and ``design_id``.
        images_dir: Folder the image paths are relative to.
        where: Plain words on what the photos are, for the record's ``fitted["source"]``.
        target_precision: See :func:`skill.catalog.same_design.fit_rule`.
        runtime: Embedding runtime.
        progress: Reports stage ``embedding``.

    Returns:
        The rule record (:meth:`~skill.catalog.same_design.SameDesignRule.to_dict`), with the
        leave-one-out ``hit@1`` in ``fitted``.
    """
    root = Path(images_dir)
    result = embed_images(
        encoder, [root / p for p in items["image_path"]], progress=progress, runtime=runtime
    )
    kept = items.iloc[result.indices]
    queries = leave_one_out(result.embeddings, kept["design_id"].to_numpy(), max_queries=None)
    source = describe_queries(queries, where)
    rule = fit_rule(queries, target_precision=target_precision, source=source)
    record = rule.to_dict()
    record["fitted"]["hit@1"] = float(queries.hit_at_1)
    return record


def store_rule(encoder: Encoder, record: dict[str, Any]) -> None:
    """Keeps the rule where the encoder's description lives: its checkpoint's ``config.json``
    (rewritten atomically; the weights and their digest do not change), or the built-in rules
    file."""
    if encoder.info.source == "builtin":
        from skill.encoders.builtin_rules import write_builtin_rule

        write_builtin_rule(encoder.name, record)
        return
    from skill.encoders.checkpoint import read_config, write_config

    config = read_config(encoder.info.source)
    write_config(encoder.info.source, {**config, "same_design": record})


def trained_on_tune(config: dict | None) -> bool:
    """Whether a checkpoint's training saw the tune designs' photos (labelled or not).

    Runs record their settings under ``training.config``; one with ``tune_fraction`` above 0
    held the tune designs out. Encoders with no recorded run (the built-in ones) trained on
    none of these photos.
    """
    run = ((config or {}).get("training") or {}).get("config")
    if not isinstance(run, dict):
        return False
    return float(run.get("tune_fraction") or 0.0) <= 0.0
