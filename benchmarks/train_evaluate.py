"""Evaluates encoders on the validation designs of the training split (colour-variant retrieval).

Prints one JSON line per encoder (hit@1/5/10, mAP, colour invariance, queries, gallery).

Usage:
    python benchmarks/train_evaluate.py imagenet-lite0 runs/skill/encoder \
        --images ../shared/data/hm_colour_variants --out runs/eval.jsonl
    python benchmarks/train_evaluate.py runs/skill/encoder --input-size 224 --resize-mode pad
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere

from skill.evaluation.protocol import EvalConfig, evaluate_encoder
from skill.evaluation.splits import read_split
from skill.paths import DEFAULT_TRAINING_DATA, project_path


def emit(row: dict, out: Path | None) -> None:
    """Prints one result as a JSON line and appends it to ``out`` (JSON lines) when given."""
    print(json.dumps(row), flush=True)
    if out:
        with open(out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoders", nargs="+", help="encoder names or checkpoint folders")
    parser.add_argument("--images", default=str(project_path(DEFAULT_TRAINING_DATA)))
    parser.add_argument("--input-size", type=int, default=None, help="override preprocess size")
    parser.add_argument("--resize-mode", choices=("crop", "pad"), default=None)
    parser.add_argument("--grayscale", action="store_true", help="override: grey input")
    parser.add_argument("--invariance-sample", type=int, default=500)
    parser.add_argument("--out", default=None, help="append results to this JSONL file")
    args = parser.parse_args()

    from skill.encoders.registry import create_encoder

    _, val_items = read_split(args.images)
    for name in args.encoders:
        encoder = create_encoder(name)
        changes = {}
        if args.input_size:
            changes["input_size"] = args.input_size
        if args.resize_mode:
            changes["resize_mode"] = args.resize_mode
        if args.grayscale:
            changes["grayscale"] = True
        if changes:
            encoder.preprocess = dataclasses.replace(encoder.preprocess, **changes)
        start = time.perf_counter()
        figures = evaluate_encoder(
            encoder, val_items, args.images, EvalConfig(invariance_sample=args.invariance_sample)
        )
        row = {
            "encoder": name,
            "preprocess": encoder.preprocess.to_dict(),
            **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()},
            "wall_s": round(time.perf_counter() - start, 1),
        }
        emit(row, args.out)


if __name__ == "__main__":
    main()
