"""One table of encoders on the design-disjoint split, every row measured by this script.

Each encoder (a built-in name or a checkpoint folder) is evaluated with the project's protocol
(:func:`skill.evaluation.protocol.evaluate_encoder`): gallery = the photos of the split,
queries = those with another colour of their design; hit@1/5/10, mAP, colour invariance, and
the answers of the encoder's same-design rule (precision, recall, calibration error) where it
ships one. Embeddings are cached by weight digest (``--cache``), so a second run is quick.

``--split val`` (default) measures on the validation designs, the figures the README states;
``--split tune`` on the held-out training designs, where a recipe's settings are chosen
(meaningful only for encoders trained without them, ``tune_fraction``).

``--stored NAME=PATH`` adds a row read from a checkpoint's ``config.json`` instead of measured
(for runs whose weights are not at hand); such rows say so in the last column.

Usage:
    python benchmarks/compare_encoders.py imagenet-lite0 luminance-lite0 \\
        assets/encoders/skill-design assets/encoders/colour-variants --out docs/encoder_table.md
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere

from skill.paths import DEFAULT_TRAINING_DATA, project_path

COLUMNS = ("hit@1", "hit@5", "hit@10", "mAP", "color_invariance")
ANSWER = ("same_design_precision", "same_design_recall", "same_design_ece")


def measure(name: str, items, images: Path, args) -> dict:
    from skill.encoders.registry import create_encoder
    from skill.evaluation.protocol import EvalConfig, evaluate_encoder

    encoder = create_encoder(name)
    config = EvalConfig(invariance_sample=args.invariance_sample, cache_dir=args.cache)
    figures = evaluate_encoder(encoder, items, images, config)
    return {"encoder": name, "display": encoder.info.display_name, **figures, "measured": "here"}


def stored(spec: str) -> dict:
    label, _, path = spec.partition("=")
    config = json.loads((Path(path) / "config.json").read_text())
    figures = config.get("metrics", {})
    return {"encoder": label, "display": config.get("display_name", label), **figures,
            "measured": f"stored in {path}/config.json"}  # fmt: skip


def cell(value) -> str:
    if not isinstance(value, int | float) or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.3f}"


def table(rows: list[dict], split: str, gallery: int) -> str:
    head = ["encoder", "name", *COLUMNS, "answer precision", "answer recall", "answer ECE",
            "measured"]  # fmt: skip
    lines = [
        f"Split: {split} ({gallery:,} photos in the gallery)",
        "",
        "| " + " | ".join(head) + " |",
        "|" + " --- |" * len(head),
    ]
    for row in rows:
        values = [row["display"], f"`{row['encoder']}`"]
        values += [cell(row.get(c)) for c in COLUMNS + ANSWER]
        values.append(row["measured"])
        lines.append("| " + " | ".join(values) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoders", nargs="*", help="built-in names or checkpoint folders")
    parser.add_argument("--images", default=str(project_path(DEFAULT_TRAINING_DATA)))
    parser.add_argument("--split", choices=["val", "tune"], default="val")
    parser.add_argument("--invariance-sample", type=int, default=500)
    parser.add_argument("--cache", default="data/eval-cache", help="embedding cache folder")
    parser.add_argument("--stored", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--out", type=Path, help="also write the table here (markdown)")
    parser.add_argument("--json", action="store_true", help="print one JSON line per row")
    args = parser.parse_args()

    from skill.evaluation.splits import read_split, split_tune

    images = Path(args.images)
    train, val = read_split(images)
    items = val if args.split == "val" else split_tune(train)[1]
    rows = [measure(name, items, images, args) for name in args.encoders]
    rows += [stored(spec) for spec in args.stored]
    text = table(rows, args.split, len(items))
    print(text)
    if args.json:
        for row in rows:
            print(json.dumps({k: v for k, v in row.items() if not isinstance(v, float) or v == v}))
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
