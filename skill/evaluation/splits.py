"""Design-disjoint splits: held-out designs are never seen in training, in any colour.

The project's protocol on a labelled folder (the shared H&M photos by default):

- **validation**: 20 % of the designs (``split_designs(..., 0.2, seed=0)``): every figure in
  the README's tables is measured there, once per encoder;
- **tune**: 20 % of the remaining *training* designs (``split_designs(..., 0.2, seed=1)`` over
  the training rows): the held-out training designs that recipe settings are chosen on and
  that same-design rules are fitted on (:mod:`skill.catalog.same_design`); an encoder meant to
  be calibrated there trains without them (``tune_fraction``);
- **fit**: the rest, what such an encoder trains on.

Example:
    >>> train_items, val_items = read_split("../shared/data/hm_colour_variants")
    >>> fit_items, tune_items = split_tune(train_items)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from skill.catalog.source import ColumnMap, read_items

HM_COLUMNS = ColumnMap(image="image_path", design="product_code", color="colour_group_name")
"""The columns of the H&M ``articles.csv``: photo path, design (``product_code``), colour."""
VAL_FRACTION, VAL_SEED = 0.2, 0
TUNE_FRACTION, TUNE_SEED = 0.2, 1


def split_designs(
    design_ids: Sequence, val_fraction: float = VAL_FRACTION, seed: int = VAL_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Splits rows so that every design falls wholly in train or in validation.

    Args:
        design_ids: The design of each row.
        val_fraction: Share of designs held out. Typical 0.1-0.3.
        seed: Seed of the shuffle; the same seed gives the same split.

    Returns:
        ``(train_rows, val_rows)``: sorted row positions.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    keys = np.asarray([str(d) for d in design_ids])
    designs = np.unique(keys)
    rng = np.random.default_rng(seed)
    held_out = set(rng.permutation(designs)[: int(round(len(designs) * val_fraction))])
    is_val = np.asarray([key in held_out for key in keys])
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def read_split(
    images_dir: str | os.PathLike,
    csv_name: str = "articles.csv",
    val_fraction: float = VAL_FRACTION,
    seed: int = VAL_SEED,
    tune_fraction: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reads a labelled folder (H&M column names) and splits it by design.

    Args:
        images_dir: Folder holding the photos and ``csv_name``.
        csv_name: Label CSV inside ``images_dir``.
        val_fraction: Share of designs held out for validation. Typical 0.1-0.3.
        seed: Seed of :func:`split_designs`.
        tune_fraction: Also leave the tune designs (:func:`split_tune`) out of the training
            rows; 0 keeps them. Typical 0 or 0.2.

    Returns:
        ``(train_items, val_items)``: item tables (see :mod:`skill.catalog.source`).
    """
    root = Path(images_dir)
    items = read_items(root, root / csv_name, HM_COLUMNS).items
    train_rows, val_rows = split_designs(items["design_id"], val_fraction=val_fraction, seed=seed)
    train = items.iloc[train_rows].reset_index(drop=True)
    if tune_fraction > 0:
        train, _ = split_tune(train, tune_fraction)
    return train, items.iloc[val_rows].reset_index(drop=True)


def split_tune(
    train_items: pd.DataFrame, fraction: float = TUNE_FRACTION, seed: int = TUNE_SEED
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(fit_items, tune_items)``: the training designs and the held-out training designs."""
    fit_rows, tune_rows = split_designs(train_items["design_id"], fraction, seed)
    return (
        train_items.iloc[fit_rows].reset_index(drop=True),
        train_items.iloc[tune_rows].reset_index(drop=True),
    )


EVALUATE_ON = ("val", "tune")


def read_run_split(
    images_dir: str | os.PathLike,
    csv_name: str = "articles.csv",
    val_fraction: float = VAL_FRACTION,
    seed: int = VAL_SEED,
    tune_fraction: float = 0.0,
    evaluate_on: str = "val",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a training run trains on and is evaluated on.

    Args:
        images_dir, csv_name, val_fraction, seed: As for :func:`read_split`.
        tune_fraction: Hold the tune designs out of training (:func:`split_tune`); 0 trains
            on every training design. Typical 0 or 0.2.
        evaluate_on: ``"val"`` (the validation designs: the figures a shipped encoder states)
            or ``"tune"`` (the held-out training designs: for choosing a recipe's settings
            without looking at validation; needs ``tune_fraction``).

    Returns:
        ``(train_items, eval_items)``.
    """
    if evaluate_on not in EVALUATE_ON:
        raise ValueError(f"evaluate_on must be one of {EVALUATE_ON}, got {evaluate_on!r}")
    if evaluate_on == "tune" and tune_fraction <= 0:
        raise ValueError("evaluate_on='tune' needs tune_fraction > 0 (e.g. 0.2)")
    train, val = read_split(images_dir, csv_name, val_fraction, seed)
    if tune_fraction <= 0:
        return train, val
    fit, tune = split_tune(train, tune_fraction)
    return fit, tune if evaluate_on == "tune" else val


def describe_run_split(
    val_fraction: float, seed: int, tune_fraction: float, evaluate_on: str
) -> str:
    """The protocol of :func:`read_run_split` in words, for a model card's figures."""
    gallery = (
        f"held-out training designs (split_tune fraction {tune_fraction}, seed {TUNE_SEED})"
        if evaluate_on == "tune"
        else f"design-disjoint validation, split_designs(val_fraction={val_fraction}, seed={seed})"
    )
    trained = (
        f"; trained without the tune designs (fraction {tune_fraction})" if tune_fraction else ""
    )
    return f"{gallery}, gallery = those photos{trained}"
