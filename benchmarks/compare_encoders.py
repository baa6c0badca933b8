"""One table of every encoder on the design-disjoint validation split (colour-variant retrieval).

Prints a markdown table (hit@1/5/10, mAP, colour invariance) and optionally writes it to a file
and/or prints JSON. Gallery = the validation photos of ``split_designs(product_code,
val_fraction=0.2, seed=--split-seed)``; queries = those with another colour of their design.

How each row is measured:

- ``lite0-frozen@<px>``: the raw ``imagenet-lite0`` features at the CPU recipe's input size (the
  features the colour-variant heads are trained on), from the feature cache;
- checkpoints made by the CPU colour-variant recipe (frozen ImageNet backbone + head): the head
  applied to the cached backbone features, which equals the encoder's output (checked by
  ``tests/test_train_triplet.py``); colour invariance on the recipe's recoloured sample;
- a checkpoint whose training stored its validation figures for this split's whole gallery
  (SkiLL, DINO, the ``bank`` recipe: ``evaluate_encoder`` when training ended): those;
- any other encoder: read from ``--results`` (JSON lines of ``benchmarks/train_evaluate.py``,
  same split and protocol, 500-photo invariance sample) when it is there, else evaluated in
  full with :func:`skill.evaluation.protocol.evaluate_encoder` (minutes per encoder on a CPU).

Usage:
    python benchmarks/compare_encoders.py --split-seed 0 \
        --encoders imagenet-lite0 assets/encoders/skill-design runs/dino-cpu/encoder \
            runs/variants/triplet/encoder runs/variants/atl/encoder \
            runs/variants/parts/encoder runs/variants/simclr/encoder \
        --results runs/eval.jsonl --out docs/encoder_table.md
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere

from skill.paths import DEFAULT_TRAINING_DATA, project_path

COLUMNS = ("hit@1", "hit@5", "hit@10", "mAP", "color_invariance")


def head_only_config(encoder_config: dict) -> dict | None:
    """The training config of a frozen-backbone (CPU recipe) colour-variant checkpoint."""
    training = encoder_config.get("training", {})
    if training.get("recipe") == "cpu" and "config" in training:
        return training["config"]
    return None


def stored_figures(encoder_config: dict, val_items, split_seed: int) -> dict | None:
    """The validation figures a training run stored in its checkpoint, when they are of this
    split's whole validation gallery (``evaluate_encoder``, at the end of training)."""
    metrics = encoder_config.get("metrics") or {}
    training = encoder_config.get("training") or {}
    split = training.get("split") or {}
    recipe = training.get("config") or {}
    seed = split.get("seed", recipe.get("split_seed"))
    fraction = split.get("val_fraction", recipe.get("val_fraction"))
    if metrics.get("hit@1") is None or metrics.get("gallery") != len(val_items):
        return None
    if seed != split_seed or fraction != 0.2:
        return None
    return metrics


def measure(name: str, variant_config, val_items, results: dict) -> tuple[dict, str, str]:
    """Figures, display name and provenance of one encoder."""
    from skill.encoders.checkpoint import is_checkpoint_dir, load_checkpoint
    from skill.train.variants.head_recipe import evaluate_head

    if name.startswith("lite0-frozen"):
        size = int(name.split("@")[1]) if "@" in name else variant_config.input_size
        config = dataclasses.replace(variant_config, input_size=size)
        source = f"cached features, {config.invariance_sample}-photo invariance"
        return evaluate_head(None, config, val_items), name, source
    if is_checkpoint_dir(name):
        state, encoder_config = load_checkpoint(name)
        training = head_only_config(encoder_config)
        display = encoder_config.get("display_name", encoder_config["name"])
        if training is not None:
            from skill.encoders.heads import ProjectionHead

            head = ProjectionHead.from_spec(encoder_config["head"])
            head.load_state_dict(
                {k.removeprefix("head."): v for k, v in state.items() if k.startswith("head.")}
            )
            config = dataclasses.replace(
                variant_config,
                input_size=training["input_size"],
                invariance_sample=variant_config.invariance_sample,
            )
            source = f"cached features + head, {config.invariance_sample}-photo invariance"
            return evaluate_head(head.eval(), config, val_items), display, source
        stored = stored_figures(encoder_config, val_items, variant_config.split_seed)
        if stored is not None:
            return stored, display, "checkpoint metrics: evaluate_encoder when training ended"
    else:
        display = name
    for key in (name, name.rstrip("/")):
        if key in results:
            return results[key], display, "--results: full validation split, 500-photo invariance"
    from skill.encoders.registry import create_encoder
    from skill.evaluation.protocol import EvalConfig, evaluate_encoder

    encoder = create_encoder(name)
    figures = evaluate_encoder(
        encoder, val_items, variant_config.images_path, EvalConfig(invariance_sample=500)
    )
    return figures, encoder.info.display_name, "evaluate_encoder, 500-photo invariance"


def markdown(rows: list[dict]) -> str:
    """The table, one row per encoder."""
    lines = [
        "| encoder | name | gallery | hit@1 | hit@5 | hit@10 | mAP | colour invariance "
        "| measured from |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        cells = [
            "n/a" if row.get(c) is None or math.isnan(row[c]) else f"{row[c]:.3f}" for c in COLUMNS
        ]
        lines.append(
            f"| {row['display']} | `{row['encoder']}` | {row.get('gallery')} | "
            + " | ".join(cells)
            + f" | {row['source']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", required=True)
    parser.add_argument("--images", default=str(project_path(DEFAULT_TRAINING_DATA)))
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--input-size", type=int, default=128, help="lite0-frozen default size")
    parser.add_argument("--invariance-sample", type=int, default=50)
    parser.add_argument(
        "--val-photos",
        type=int,
        default=512,
        help="cached rows: the last N validation photos, whole designs (0: all)",
    )
    parser.add_argument("--results", type=Path, help="JSON lines of benchmarks/train_evaluate.py")
    parser.add_argument("--out", type=Path, help="write the markdown table here")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args()

    from skill.train.variants.config import VariantConfig
    from skill.train.variants.data import read_variant_split

    config = VariantConfig(
        images_dir=args.images,
        split_seed=args.split_seed,
        input_size=args.input_size,
        invariance_sample=args.invariance_sample,
        val_photos=args.val_photos or None,
    )
    _, val_items = read_variant_split(config)
    results = {}
    if args.results and args.results.is_file():
        for line in args.results.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                results[record["encoder"]] = record  # the last measurement of a name wins
    rows = []
    for name in args.encoders:
        figures, display, source = measure(name, config, val_items, results)
        rows.append(
            {
                "encoder": name,
                "display": display,
                "source": source,
                **{c: (float(figures[c]) if figures.get(c) is not None else None) for c in COLUMNS},
                "queries": figures.get("queries"),
                "gallery": figures.get("gallery"),
            }
        )
        print(json.dumps(rows[-1]) if args.json else f"measured {name}", flush=True)
    table = markdown(rows)
    print(table)
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
