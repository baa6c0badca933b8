"""Attribute heads trained side by side on the same frozen features, budget and seed.

Every variant (:data:`VARIANTS`) is a head kind (:mod:`skill.attributes.model`) and the source
of its localisation map:

- ``learned``: predicted by the head's own branch, trained on product masks;
- ``foreground``: the product mask a packshot rule estimates from the photo itself
  (:func:`skill.images.clutter.product_mask`): right on packshots, the whole frame on clutter;
- ``oracle``: the true product mask (where it was pasted); an upper bound, not deployable.

Each epoch shows every training photo twice, as the packshot and as its cluttered copy
(:mod:`skill.train.attributes.features`). The loss is binary cross-entropy over the *known*
labels of each photo, plus, for learned maps, the cross-entropy of the predicted product
share of each cell. The validation designs are scored clean and cluttered; the winner is
chosen among the deployable variants on the held-out *training* designs (the calibration
designs), never on the validation designs.

Example:
    >>> results = train_attribute_heads(ATTRIBUTE_PRESETS["cpu"])
    >>> print(format_table(results))
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from skill.attributes.labels import LabelColumns, choose_labels, label_matrix
from skill.attributes.model import AttributeHead, HeadConfig
from skill.evaluation.attributes import attribute_metrics
from skill.train.attributes.config import DEPLOYABLE, VARIANTS, AttributeTrainConfig

_MAPS = {"foreground": ("clean", "clutter_estimated"), "oracle": ("clean", "clutter")}

Progress = Callable[[str, int, int], None]


@dataclass
class Split:
    """Stored-feature rows of some photos and their labels."""

    rows: np.ndarray
    values: np.ndarray
    known: np.ndarray


def prepare_data(config: AttributeTrainConfig, progress: Progress | None = None):
    """The feature store, the label vocabulary and the fit/calibration/validation splits.

    Returns:
        ``(store, labels, splits)``, ``splits`` holding ``fit``, ``calibration`` and
        ``validation`` :class:`Split` s.
    """
    from skill.catalog.source import read_csv, read_items
    from skill.evaluation.splits import HM_COLUMNS, split_designs
    from skill.paths import project_path
    from skill.train.attributes.features import build_feature_store

    root = project_path(config.images_dir)
    items = read_items(root, root / config.csv_name, HM_COLUMNS).items
    store = build_feature_store(
        items,
        root,
        project_path(config.feature_dir),
        config.clutter_seed,
        config.batch_size_features,
        progress=(lambda done, total: progress("features", done, total)) if progress else None,
    )
    frame = read_csv(root / config.csv_name).drop_duplicates("image_path").set_index("image_path")
    frame = frame.loc[items["image_path"]].reset_index()
    train, validation = split_designs(items["design_id"], config.val_fraction, config.split_seed)
    fit_part, calibration_part = split_designs(
        items["design_id"].iloc[train], config.calibration_fraction, config.split_seed + 1
    )
    fit, calibration = train[fit_part], train[calibration_part]
    columns = LabelColumns()
    labels = choose_labels(
        frame.iloc[fit], frame.iloc[calibration], columns, min_positives=config.min_positives
    )
    rows = store.rows(items["image_path"].tolist())

    def split(positions: np.ndarray) -> Split:
        matrix = label_matrix(frame.iloc[positions], labels, columns)
        return Split(rows[positions], matrix.values, matrix.known)

    return store, labels, {"fit": split(fit), "calibration": split(calibration),
                           "validation": split(validation)}  # fmt: skip


def train_attribute_heads(
    config: AttributeTrainConfig, progress: Progress | None = None, resume: bool = False
) -> dict:
    """Trains every variant of ``config.variants`` and scores it; writes ``results.json``.

    Args:
        config: The run.
        progress: Reports feature storing and training steps.
        resume: Keep the variants an interrupted run of the same recipe already finished
            (same labels, splits and every config field but ``variants``), train the rest.

    Returns:
        The results: ``labels``, ``splits`` (photo counts) and per variant its figures on
        the calibration and validation designs, clean and cluttered, and its seconds.
    """
    from skill.paths import project_path
    from skill.train.attributes.features import head_features

    output = project_path(config.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    store, labels, splits = prepare_data(config, progress)
    # The head convolution runs once per photo, not once per step (features.head_features).
    store = head_features(
        store,
        project_path(config.feature_dir),
        progress=(lambda done, total: progress("head features", done, total)) if progress else None,
    )
    feature_head = torch.nn.Identity()
    np.savez(
        output / "labels.npz",
        **{f"{name}_{part}": getattr(split, part)
           for name, split in splits.items() for part in ("rows", "values", "known")},
    )  # fmt: skip
    results = {
        **results_config(config, labels, splits),
        "variants": _finished_variants(output, results_config(config, labels, splits)) if resume
        else {},
    }  # fmt: skip
    for variant in config.variants:
        if variant in results["variants"]:
            continue
        start = time.perf_counter()
        head = fit_variant(variant, store, splits["fit"], feature_head, len(labels), config,
                           output / "log.jsonl", progress)  # fmt: skip
        figures = {"seconds_training": round(time.perf_counter() - start, 1)}
        probabilities = {}
        for split_name in ("calibration", "validation"):
            for version in ("clean", "clutter"):
                scores = predict(head, variant, store, splits[split_name], version, feature_head)
                probabilities[f"{split_name}_{version}"] = scores.astype(np.float16)
                report = attribute_metrics(
                    scores, splits[split_name].values, splits[split_name].known, labels
                )
                figures[f"{split_name}_{version}"] = report.to_dict()
        folder = output / variant
        folder.mkdir(exist_ok=True)
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in head.state_dict().items()},
                  str(folder / "head.safetensors"))  # fmt: skip
        np.savez(folder / "probabilities.npz", **probabilities)
        (folder / "head.json").write_text(json.dumps(head.config.to_dict(), indent=2) + "\n")
        results["variants"][variant] = figures
        _write_json(output / "results.json", results)
    return results


def results_config(config: AttributeTrainConfig, labels: list[str], splits: dict) -> dict:
    """The part of ``results.json`` that says which run it is: labels, split sizes, recipe."""
    return {
        "labels": labels,
        "splits": {name: len(split.rows) for name, split in splits.items()},
        "config": config.to_dict(),
    }


def _finished_variants(output: Path, identity: dict) -> dict:
    """The variants of ``output/results.json`` whose run matches ``identity`` and whose head
    was saved; ``{}`` when there is no such file or it belongs to another run."""
    path = output / "results.json"
    if not path.is_file():
        return {}
    previous = json.loads(path.read_text())

    def recipe(entry: dict) -> dict:
        return {k: v for k, v in entry["config"].items() if k != "variants"}

    same = (previous["labels"] == identity["labels"] and previous["splits"] == identity["splits"]
            and recipe(previous) == recipe(identity))  # fmt: skip
    if not same:
        return {}
    return {
        variant: figures
        for variant, figures in previous.get("variants", {}).items()
        if (output / variant / "head.safetensors").is_file()
    }


def fit_variant(
    variant: str,
    store,
    split: Split,
    feature_head: torch.nn.Module,
    num_labels: int,
    config: AttributeTrainConfig,
    log_path: Path | None = None,
    progress: Progress | None = None,
) -> AttributeHead:
    """Trains one variant's head on the stored features of ``split`` (clean and cluttered).

    Returns:
        The head, in eval mode.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {tuple(VARIANTS)}, got {variant!r}")
    kind, source = VARIANTS[variant]
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    head = AttributeHead(HeadConfig(num_labels=num_labels, kind=kind, dropout=config.dropout))
    optimizer = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    count = len(split.rows)
    samples = np.concatenate([np.arange(count), np.arange(count) + count])  # clean, then copies
    steps_per_epoch = math.ceil(len(samples) / config.batch_size)
    total = steps_per_epoch * config.epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(step, total) / total)),
    )
    values = torch.from_numpy(np.concatenate([split.values, split.values]))
    known = torch.from_numpy(np.concatenate([split.known, split.known]))
    step = 0
    for epoch in range(config.epochs):
        head.train()
        order = rng.permutation(samples)
        losses = []
        for begin in range(0, len(order), config.batch_size):
            batch = order[begin : begin + config.batch_size]
            features, location, target_map = _batch(store, split, batch, count, source,
                                                    feature_head)  # fmt: skip
            logits, predicted = head(features, location)
            per_entry = F.binary_cross_entropy_with_logits(logits, values[batch], reduction="none")
            mask = known[batch].float()
            loss = (per_entry * mask).sum() / mask.sum().clamp(min=1)
            if source == "learned":
                loss = loss + config.localisation_weight * F.binary_cross_entropy_with_logits(
                    predicted, target_map
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            step += 1
            if progress:
                progress(f"training {variant}", step, total)
        if log_path is not None:
            with open(log_path, "a") as handle:
                record = {"variant": variant, "epoch": epoch + 1, "loss": float(np.mean(losses))}
                handle.write(json.dumps(record) + "\n")
    return head.eval()


@torch.inference_mode()
def predict(
    head: AttributeHead,
    variant: str,
    store,
    split: Split,
    version: str,
    feature_head: torch.nn.Module,
    batch_size: int = 256,
) -> np.ndarray:
    """Probabilities of the photos of ``split``, clean or cluttered. Shape (n, labels)."""
    _, source = VARIANTS[variant]
    count = len(split.rows)
    offset = 0 if version == "clean" else count
    head.eval()
    out = []
    for begin in range(0, count, batch_size):
        batch = np.arange(begin, min(begin + batch_size, count)) + offset
        features, location, _ = _batch(store, split, batch, count, source, feature_head)
        logits, _ = head(features, location)
        out.append(torch.sigmoid(logits).numpy())
    return np.concatenate(out) if out else np.zeros((0, head.config.num_labels), np.float32)


def _batch(store, split: Split, batch: np.ndarray, count: int, source: str, feature_head):
    """Features (batch, 1280, 7, 7), the given map (or None) and the localisation target."""
    cluttered = batch >= count
    rows = split.rows[batch % count]
    maps = np.empty((len(batch), *store.clean.shape[1:]), np.float32)  # stored maps or features
    for version, chosen in (("clean", ~cluttered), ("clutter", cluttered)):
        if chosen.any():
            array = store.clean if version == "clean" else store.clutter
            picked = rows[chosen]
            order = np.argsort(picked)  # memory maps read fastest in row order
            block = np.asarray(array[picked[order]], np.float32)
            maps[np.flatnonzero(chosen)[order]] = block
    with torch.no_grad():
        features = feature_head(torch.from_numpy(maps))
    target = np.where(cluttered[:, None, None], store.masks["clutter"][rows],
                      store.masks["clean"][rows])  # fmt: skip
    location = None
    if source in _MAPS:
        clean_map, clutter_map = _MAPS[source]
        location = torch.from_numpy(
            np.where(
                cluttered[:, None, None],
                store.masks[clutter_map][rows],
                store.masks[clean_map][rows],
            ).astype(np.float32)  # fmt: skip
        )
    return features, location, torch.from_numpy(target.astype(np.float32))


def format_table(results: dict, variants: list[str] | None = None) -> str:
    """The results as a Markdown table: mean AUC and mAP, clean and cluttered, per variant."""
    lines = [
        "| variant | map | clean AUC | clean mAP | clutter AUC | clutter mAP |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for variant in variants or list(results["variants"]):
        figures = results["variants"][variant]
        clean, clutter = figures["validation_clean"], figures["validation_clutter"]
        lines.append(
            f"| {variant} | {VARIANTS[variant][1]} | {clean['mean_auc']:.4f} | "
            f"{clean['mean_ap']:.4f} | {clutter['mean_auc']:.4f} | {clutter['mean_ap']:.4f} |"
        )
    return "\n".join(lines)


def per_label_table(results: dict, variants: list[str], split: str = "validation") -> pd.DataFrame:
    """Per-label AUC and AP of some variants, clean and cluttered, one row per label."""
    rows = []
    for label in results["labels"]:
        row = {"label": label}
        for variant in variants:
            for version in ("clean", "clutter"):
                entry = results["variants"][variant][f"{split}_{version}"]["per_label"][label]
                row[f"{variant} {version} AUC"] = entry["auc"]
                row[f"{variant} {version} AP"] = entry["ap"]
        row["positives"] = results["variants"][variants[0]][f"{split}_clean"]["per_label"][label][
            "positives"
        ]
        rows.append(row)
    return pd.DataFrame(rows)


def choose_winner(results: dict) -> str:
    """The deployable variant with the best mean AUC on the calibration designs (clean and
    cluttered averaged): chosen without looking at the validation designs."""
    candidates = [v for v in DEPLOYABLE if v in results["variants"]]
    if not candidates:
        raise ValueError(f"no deployable variant among {list(results['variants'])}")

    def score(variant: str) -> float:
        figures = results["variants"][variant]
        return (
            figures["calibration_clean"]["mean_auc"] + figures["calibration_clutter"]["mean_auc"]
        ) / 2

    return max(candidates, key=score)


def _write_json(path: Path, data: dict) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=1) + "\n")
    temporary.replace(path)
