"""The figures shipped with an attribute model: a bar chart and a Markdown model card.

Both are drawn from a run's ``results.json`` (:func:`skill.train.attributes.trainer.
train_attribute_heads`) and the shipped ``config.json``, so they say exactly what the table
says. The chart is drawn with Pillow (no plotting library is installed with the product).

Example:
    >>> draw_group_chart(results, "assets/attributes/fashion-attributes/figures.png")
    >>> write_model_card(config, results, "assets/attributes/fashion-attributes/MODEL_CARD.md")
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from skill.attributes.labels import group_of

VARIANT_COLOURS = {"pooled": (150, 150, 150), "masked": (90, 140, 200), "attention": (200, 90, 60)}
"""Bar colour of each variant; other variants are drawn in a neutral teal."""


def label_groups(labels: list[str]) -> dict[str, list[str]]:
    """The labels by source: pattern, type, garment and the rest (mined from descriptions)."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        group = group_of(label)
        group = group if group in ("pattern", "type", "garment") else "mined"
        groups.setdefault(group, []).append(label)
    return groups


def group_means(results: dict, variant: str, version: str) -> dict[str, float]:
    """Mean validation AUC of ``variant`` per label group (:func:`label_groups`)."""
    per_label = results["variants"][variant][f"validation_{version}"]["per_label"]
    means = {}
    for group, labels in label_groups(results["labels"]).items():
        aucs = [per_label[label]["auc"] for label in labels if per_label[label]["auc"] is not None]
        means[group] = float(np.mean(aucs)) if aucs else float("nan")
    means["all"] = results["variants"][variant][f"validation_{version}"]["mean_auc"]
    return means


def draw_group_chart(
    results: dict, path: str | os.PathLike, variants: list[str] | None = None
) -> Path:
    """Bars of mean validation AUC per label group and variant, packshots and on clutter.

    Args:
        results: A run's ``results.json``.
        path: The PNG to write.
        variants: Variants to draw (default: pooled, masked and attention where present).

    Returns:
        The PNG's path.
    """
    from PIL import Image, ImageDraw, ImageFont

    variants = variants or [v for v in VARIANT_COLOURS if v in results["variants"]]
    if not variants:
        raise ValueError(f"no variant to draw among {list(results['variants'])}")
    groups = [*label_groups(results["labels"]), "all"]
    counts = {g: len(ls) for g, ls in label_groups(results["labels"]).items()}
    counts["all"] = len(results["labels"])
    low, high = 0.80, 1.00  # the AUC axis; every mean here lies well inside it
    width, panel_height, margin = 900, 260, 60
    image = Image.new("RGB", (width, 2 * panel_height + 60), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    small = ImageFont.load_default(size=12)
    draw.text((margin, 10), "Mean validation AUC per label group (H&M validation designs)",
              fill="black", font=ImageFont.load_default(size=16))  # fmt: skip
    x = margin
    for variant in variants:  # legend
        colour = VARIANT_COLOURS.get(variant, (60, 160, 150))
        draw.rectangle((x, 36, x + 14, 50), fill=colour)
        draw.text((x + 20, 35), variant, fill="black", font=font)
        x += 40 + 9 * len(variant)
    slot = (width - 2 * margin) / len(groups)
    bar = slot * 0.8 / len(variants)
    for panel, version in enumerate(("clean", "clutter")):
        top = 70 + panel * panel_height
        bottom = top + panel_height - 60
        title = "packshots" if version == "clean" else "pasted on cluttered backgrounds"
        draw.text((margin, top - 4), title, fill="black", font=font)
        for tick in np.arange(low, high + 1e-9, 0.05):
            y = bottom - (tick - low) / (high - low) * (bottom - top - 20)
            draw.line((margin, y, width - margin, y), fill=(225, 225, 225))
            draw.text((12, y - 7), f"{tick:.2f}", fill=(90, 90, 90), font=small)
        means = {v: group_means(results, v, version) for v in variants}
        for i, group in enumerate(groups):
            left = margin + i * slot + slot * 0.1
            for j, variant in enumerate(variants):
                value = means[variant][group]
                y = bottom - (min(max(value, low), high) - low) / (high - low) * (bottom - top - 20)
                x0 = left + j * bar
                draw.rectangle((x0, y, x0 + bar - 3, bottom),
                               fill=VARIANT_COLOURS.get(variant, (60, 160, 150)))  # fmt: skip
                draw.text((x0, y - 14), f"{value:.3f}", fill="black", font=small)
            draw.text((left, bottom + 6), f"{group} ({counts[group]})", fill="black", font=font)
    path = Path(path)
    image.save(path)
    return path


def write_model_card(config: dict, results: dict, path: str | os.PathLike) -> Path:
    """The model card as Markdown: what it predicts, how it was trained, the table, limits."""
    figures = config["figures"]
    variant = config["training"]["variant"]
    lines = [f"# {config['display_name']}", "", config["model_card"], "",
             "## Validation figures (design-disjoint H&M validation designs)", "",
             "| variant | clean mean AUC | clean mAP | clutter mean AUC | clutter mAP |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, table in figures["validation_mean"].items():
        mark = " (shipped)" if name == variant else ""
        lines.append(f"| {name}{mark} | {table['clean']['mean_auc']:.4f} | "
                     f"{table['clean']['mean_ap']:.4f} | {table['clutter']['mean_auc']:.4f} | "
                     f"{table['clutter']['mean_ap']:.4f} |")  # fmt: skip
    lines += ["", "Mean AUC per label group, packshots / clutter:", "",
              "| variant | " + " | ".join(label_groups(results["labels"])) + " | all |",
              "| --- |" + " --- |" * (len(label_groups(results["labels"])) + 1)]  # fmt: skip
    for name in figures["validation_mean"]:
        clean, clutter = group_means(results, name, "clean"), group_means(results, name, "clutter")
        lines.append(f"| {name} | " + " | ".join(f"{clean[g]:.3f} / {clutter[g]:.3f}"
                                                 for g in clean) + " |")  # fmt: skip
    lines += ["", "![Mean AUC per label group](figures.png)", "",
              f"Winner chosen on: {config['training']['chosen_on']}.", "",
              "## Per label (shipped head, validation designs)", "",
              "| label | threshold | clean AUC | clean AP | clutter AUC | clutter AP | positives |",
              "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip

    def cell(value) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    for entry in config["labels"]:
        per = figures["validation_per_label"][entry["name"]]
        lines.append(f"| {entry['name']} | {cell(entry['threshold'])} | {cell(per['clean']['auc'])}"
                     f" | {cell(per['clean']['ap'])} | {cell(per['clutter']['auc'])} | "
                     f"{cell(per['clutter']['ap'])} | {per['clean']['positives']} |")  # fmt: skip
    recipe = config["training"]["recipe"]
    lines += ["", "## Training", "",
              f"Frozen features, {recipe['epochs']} epochs of {recipe['batch_size']} photos "
              f"(each photo clean and cluttered once per epoch), AdamW lr {recipe['lr']}, weight "
              f"decay {recipe['weight_decay']}, dropout {recipe['dropout']}, seed "
              f"{recipe['seed']}; {config['training']['seconds_training']:.0f} s on 2 CPU cores. "
              "Reproduce: `python -m skill attributes-train --variants pooled masked attention "
              "--ship fashion-attributes`.", ""]  # fmt: skip
    path = Path(path)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
