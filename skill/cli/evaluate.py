"""``eval`` and ``split``: score an encoder on a labelled catalog; a design-disjoint split."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from skill.cli.common import ProgressBar, add_column_flags, add_runtime_flag, columns


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``eval`` and ``split`` commands."""
    parser = subparsers.add_parser("eval", help="evaluate an encoder on a labelled catalog")
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--encoder", default="imagenet-lite0")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--invariance-sample", type=int, default=500, help="photos recoloured (0 skips)"
    )
    add_runtime_flag(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--cache-dir", type=Path, help="embedding cache to reuse, e.g. a catalog's cache/ folder"
    )
    add_column_flags(parser)
    parser.set_defaults(run=run_eval)

    parser = subparsers.add_parser("split", help="design-disjoint train/val split of a CSV")
    parser.add_argument("--csv", type=Path, required=True)
    parser.add_argument("--design-col")
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.set_defaults(run=run_split)


def run_eval(args: argparse.Namespace) -> int:
    from skill.catalog.source import read_items
    from skill.encoders.registry import create_encoder
    from skill.evaluation.protocol import EvalConfig, evaluate_encoder

    table = read_items(args.images, args.csv, columns(args))
    encoder = create_encoder(args.encoder)
    config = EvalConfig(
        batch_size=args.batch_size,
        invariance_sample=args.invariance_sample,
        cache_dir=str(args.cache_dir) if args.cache_dir else None,
        runtime=args.runtime,
    )
    with ProgressBar() as progress:
        figures = evaluate_encoder(encoder, table.items, args.images, config, progress=progress)
    figures["encoder"] = encoder.name
    if args.json:
        print(json.dumps({k: (None if _is_nan(v) else v) for k, v in figures.items()}))
    else:
        for key, value in figures.items():
            print(f"{key:18s} {value:.4f}" if isinstance(value, float) else f"{key:18s} {value}")
    return 0


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def run_split(args: argparse.Namespace) -> int:
    from skill.catalog.source import CatalogInputError, ColumnMap, read_csv, resolve_columns
    from skill.evaluation.splits import split_designs

    frame = read_csv(args.csv)
    column = resolve_columns(frame, ColumnMap(design=args.design_col)).get("design")
    if column is None:
        raise CatalogInputError(
            f"no design column found; name it with --design-col (columns: {list(frame.columns)})"
        )
    train, val = split_designs(frame[column], args.val_fraction, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    frame.iloc[train].to_csv(args.out / "train.csv", index=False)
    frame.iloc[val].to_csv(args.out / "val.csv", index=False)
    print(f"train: {len(train)} rows, val: {len(val)} rows -> {args.out}")
    return 0
