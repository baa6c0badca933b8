"""Settings of an attribute-model training run (``python -m skill attributes-train``).

Example:
    >>> config = dataclasses.replace(ATTRIBUTE_PRESETS["cpu"], variants=("pooled", "attention"))
    >>> result = train_attribute_heads(config)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

VARIANTS: dict[str, tuple[str, str]] = {
    "pooled": ("pooled", "none"),
    "masked": ("masked", "learned"),
    "attention": ("attention", "learned"),
    "masked-foreground": ("masked", "foreground"),
    "attention-foreground": ("attention", "foreground"),
    "masked-oracle": ("masked", "oracle"),
    "attention-oracle": ("attention", "oracle"),
}
"""Variant -> (head kind, source of its localisation map); see
:mod:`skill.train.attributes.trainer`."""
DEPLOYABLE = ("pooled", "masked", "attention")
"""Variants that need nothing but the photo at index time: the candidates to ship."""


@dataclass(frozen=True)
class AttributeTrainConfig:
    """One attribute-model run: features once, then heads trained on them.

    Attributes:
        images_dir: Folder with the labelled photos and ``csv_name`` (H&M column names).
        csv_name: Label CSV inside ``images_dir``.
        val_fraction: Share of designs held out for validation
            (:func:`skill.evaluation.splits.split_designs`, seed ``split_seed``); 0.2 and 0 are
            the project's split.
        split_seed: Seed of that split.
        calibration_fraction: Share of the *training* designs held out to choose each label's
            threshold (never the validation designs). Typical 0.1-0.3.
        feature_dir: Where the frozen features of every photo, clean and cluttered, are
            stored (git-ignored ``data/``; about 600 MB for 9,388 photos).
        output_dir: Run folder: ``log.jsonl``, ``results.json``, one folder per head kind.
        clutter_seed: Seed of the cluttered copies (each photo's copy also depends on its path).
        min_positives: A label is kept when it has at least this many positive training
            photos and at least ``min_positives // 3`` among the validation photos. Typical
            20-100.
        variants: Variants (:data:`VARIANTS`) trained side by side on the same features,
            budget and seed.
        epochs: Passes over the training features (each photo clean and cluttered once per
            pass). Typical 10-40.
        batch_size: Photos per step. Typical 64-512.
        lr: AdamW learning rate (cosine decay to 1 %). Typical 3e-4 to 3e-3.
        weight_decay: AdamW weight decay. Typical 1e-5 to 1e-2.
        localisation_weight: Weight of the localisation loss (product share per cell) against
            the attribute loss, for heads with a learned map. Typical 0.1-2.
        dropout: Dropout before each head's linear layer. Typical 0.0-0.5.
        precision_target: A tag is shown as a fact when its probability is above the label's
            threshold, the lowest one reaching this precision on the calibration designs.
            Typical 0.8-0.95.
        min_calibration_positives: Labels with fewer positive calibration photos get no
            threshold (never shown as facts, only as "likely"). Typical 5-20.
        batch_size_features: Photos per forward pass while storing features. Typical 16-64.
        seed: Seed of initialisation and batch order.
    """

    images_dir: str = "../shared/data/hm_colour_variants"
    csv_name: str = "articles.csv"
    val_fraction: float = 0.2
    split_seed: int = 0
    calibration_fraction: float = 0.2
    feature_dir: str = "data/attributes/features"
    output_dir: str = "runs/attributes"
    clutter_seed: int = 0
    min_positives: int = 40
    variants: tuple[str, ...] = tuple(VARIANTS)
    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    localisation_weight: float = 1.0
    dropout: float = 0.2
    precision_target: float = 0.9
    min_calibration_positives: int = 8
    batch_size_features: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [v for v in self.variants if v not in VARIANTS]
        if unknown or not self.variants:
            raise ValueError(f"variants must be among {tuple(VARIANTS)}, got {self.variants}")
        if not 0.0 < self.val_fraction < 1.0 or not 0.0 < self.calibration_fraction < 1.0:
            raise ValueError("val_fraction and calibration_fraction must be in (0, 1)")
        if not 0.0 < self.precision_target <= 1.0:
            raise ValueError(f"precision_target must be in (0, 1], got {self.precision_target}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


ATTRIBUTE_PRESETS: dict[str, AttributeTrainConfig] = {
    "cpu": AttributeTrainConfig(),
    "smoke": AttributeTrainConfig(epochs=1, min_positives=5, min_calibration_positives=1),
}
"""Named recipes: ``cpu`` is the shipped run (2 CPU cores); ``smoke`` checks the pipeline."""
