"""The attribute model tables of a training run: every variant, clean and cluttered, per label.

Reads ``results.json`` of ``python -m skill attributes-train`` (and, for the fact tags, the
shipped model's ``config.json``) and prints Markdown: the mean AUC and mAP of every variant on
the validation designs, clean and pasted on clutter; the gain of the attention head over the
pooled baseline (absolute and relative AUC, as papers report it); means per label group; and
the per-label table of the baseline, the masked and the attention heads.

Usage:
    python benchmarks/attributes_table.py runs/attributes
    python benchmarks/attributes_table.py runs/attributes --per-label
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run folder with results.json")
    parser.add_argument("--per-label", action="store_true", help="also the per-label table")
    parser.add_argument("--model", default=str(ROOT / "assets/attributes/fashion-attributes"))
    args = parser.parse_args()

    import numpy as np

    from skill.attributes.labels import group_of
    from skill.train.attributes.trainer import choose_winner, format_table, per_label_table

    results = json.loads((args.run / "results.json").read_text())
    variants = list(results["variants"])
    print(f"labels: {len(results['labels'])}; photos: {results['splits']} "
          f"(validation designs scored; winner chosen on calibration designs: "
          f"{choose_winner(results)})\n")  # fmt: skip
    print(format_table(results))

    def mean(variant: str, version: str, key: str = "mean_auc") -> float:
        return results["variants"][variant][f"validation_{version}"][key]

    print("\nGain over the pooled baseline: mean AUC in points, and the mean over labels of "
          "each label's relative AUC gain, (AUC - AUC_pooled) / AUC_pooled (the paper's "
          "'average relative AUC'):\n")  # fmt: skip
    print(
        "| variant | clean ΔAUC | clean avg. relative | clutter ΔAUC | clutter avg. relative | clean ΔmAP | clutter ΔmAP |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for variant in variants:
        if variant == "pooled":
            continue
        cells = []
        for version in ("clean", "clutter"):
            delta = mean(variant, version) - mean("pooled", version)
            mine = results["variants"][variant][f"validation_{version}"]["per_label"]
            base = results["variants"]["pooled"][f"validation_{version}"]["per_label"]
            relative = [(mine[k]["auc"] - base[k]["auc"]) / base[k]["auc"]
                        for k in mine if mine[k]["auc"] is not None and base[k]["auc"]]  # fmt: skip
            cells += [f"{100 * delta:+.2f}", f"{100 * float(np.mean(relative)):+.2f} %"]
        cells += [f"{100 * (mean(variant, v, 'mean_ap') - mean('pooled', v, 'mean_ap')):+.2f}"
                  for v in ("clean", "clutter")]  # fmt: skip
        print(f"| {variant} | " + " | ".join(cells) + " |")

    _bootstrap(args.run, results, variants)

    print("\nMean AUC per label group (validation designs, clean / clutter):\n")
    groups = {}
    for label in results["labels"]:
        group = group_of(label)
        group = group if group in ("pattern", "type", "garment") else "mined from descriptions"
        groups.setdefault(group, []).append(label)
    header = " | ".join(f"{g} ({len(ls)})" for g, ls in groups.items())
    print(f"| variant | {header} |")
    print("| --- |" + " --- |" * len(groups))
    for variant in variants:
        cells = []
        for labels in groups.values():
            values = []
            for version in ("clean", "clutter"):
                per = results["variants"][variant][f"validation_{version}"]["per_label"]
                aucs = [per[label]["auc"] for label in labels if per[label]["auc"] is not None]
                values.append(float(np.mean(aucs)))
            cells.append(f"{values[0]:.3f} / {values[1]:.3f}")
        print(f"| {variant} | " + " | ".join(cells) + " |")

    model = Path(args.model) / "config.json"
    if model.is_file():
        shipped = json.loads(model.read_text())
        tags = shipped["figures"]["fact_tags_validation"]
        print(f"\nShipped `{shipped['name']}` ({shipped['training']['variant']}): fact tags on "
              f"the validation designs: {tags['correct']} right of {tags['tagged']} "
              f"(precision {tags['precision']}, target {shipped['precision_target']}); "
              f"{tags['labels_with_threshold']} of {tags['labels']} labels have a threshold.")  # fmt: skip

    if args.per_label:
        shown = [v for v in ("pooled", "masked", "attention") if v in variants] or variants
        table = per_label_table(results, shown)
        print("\n" + _markdown(table))


def _bootstrap(run: Path, results: dict, variants: list[str], rounds: int = 200) -> None:
    """95 % intervals of each variant's mean-AUC gain over pooled, resampling validation designs."""
    import numpy as np

    from skill.catalog.source import read_items
    from skill.evaluation.attributes import roc_auc
    from skill.evaluation.splits import HM_COLUMNS, split_designs
    from skill.paths import project_path

    config = results["config"]
    root = project_path(config["images_dir"])
    items = read_items(root, root / config["csv_name"], HM_COLUMNS).items
    _, validation = split_designs(items["design_id"], config["val_fraction"], config["split_seed"])
    designs = items["design_id"].iloc[validation].to_numpy()
    with np.load(run / "labels.npz") as data:
        values, known = data["validation_values"], data["validation_known"]
    unique = np.unique(designs)
    rows_of = {d: np.flatnonzero(designs == d) for d in unique}
    rng = np.random.default_rng(0)
    draws = [np.concatenate([rows_of[d] for d in rng.choice(unique, len(unique))])
             for _ in range(rounds)]  # fmt: skip

    def mean_auc(scores: np.ndarray, rows: np.ndarray) -> float:
        aucs = [roc_auc(scores[rows][known[rows, j], j], values[rows][known[rows, j], j])
                for j in range(values.shape[1])]  # fmt: skip
        return float(np.nanmean(aucs))

    print(f"\nGain in mean AUC over pooled, 95 % interval over {rounds} resamplings of the "
          f"{len(unique)} validation designs (points):\n")  # fmt: skip
    print("| variant | clean | clutter |")
    print("| --- | --- | --- |")
    scores = {}
    for variant in variants:
        with np.load(run / variant / "probabilities.npz") as data:
            scores[variant] = {v: data[f"validation_{v}"].astype(np.float32)
                               for v in ("clean", "clutter")}  # fmt: skip
    for variant in variants:
        if variant == "pooled":
            continue
        cells = []
        for version in ("clean", "clutter"):
            gains = [100 * (mean_auc(scores[variant][version], rows)
                            - mean_auc(scores["pooled"][version], rows)) for rows in draws]  # fmt: skip
            low, high = np.percentile(gains, [2.5, 97.5])
            cells.append(f"[{low:+.2f}, {high:+.2f}]")
        print(f"| {variant} | " + " | ".join(cells) + " |", flush=True)


def _markdown(frame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + " --- |" * len(frame.columns)]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
