"""``attributes`` and ``attributes-train``: a catalog's attributes, scoring and training models.

- ``python -m skill attributes --catalog C [--out FILE] [--add]``: each attribute with how many
  photos have it as a fact (above its calibrated threshold) or as "likely"; ``--out`` writes
  every photo's tags and probabilities as CSV; ``--add`` first predicts them for a catalog built
  without (a new version; nothing is embedded or mapped again).
- ``python -m skill attributes --images DIR --csv FILE [--json]``: scores the attribute model on
  a labelled folder (H&M column names by default: ``graphical_appearance_name``,
  ``product_type_name``, ``garment_group_name``, ``detail_desc``), printing mean and per-label
  AUC and AP (JSON keys ``mean_auc``, ``mean_ap``, ``per_label``, ``labels``).
- ``python -m skill attributes-train``: stores frozen features of the shared H&M photos
  (clean and on clutter), trains every head variant on them, prints the table; ``--ship NAME``
  writes the winner to ``assets/attributes/NAME``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from skill.cli.common import ProgressBar, add_runtime_flag

LABEL_FLAGS = {
    "pattern": "--pattern-col",
    "type": "--type-col",
    "garment": "--garment-col",
    "description": "--description-col",
    "fit": "--fit-col",
    "product_group": "--product-group-col",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``attributes`` and ``attributes-train`` commands."""
    parser = subparsers.add_parser(
        "attributes",
        help="a catalog's attributes (--catalog), or score the model on labelled photos (--images)",
    )
    parser.add_argument("--catalog", type=Path, help="list (and --out export) its attributes")
    parser.add_argument("--out", type=Path, help="with --catalog: CSV of every photo's tags")
    parser.add_argument(
        "--add",
        action="store_true",
        help="with --catalog: predict the attributes of a built catalog (no re-embedding)",
    )
    parser.add_argument("--images", type=Path, help="folder of labelled photos to score on")
    parser.add_argument("--csv", type=Path, help="with --images: CSV of labels")
    parser.add_argument("--model", default="fashion-attributes", help="attribute model name/folder")
    parser.add_argument("--image-col", help="CSV column with image paths")
    parser.add_argument("--id-col", help="CSV column with item ids (images named after them)")
    defaults = {
        "pattern": "graphical_appearance_name",
        "type": "product_type_name",
        "garment": "garment_group_name",
        "description": "detail_desc",
        "fit": None,
        "product_group": "product_group_name",
    }
    for source, flag in LABEL_FLAGS.items():
        default = defaults[source]
        parser.add_argument(
            flag,
            help=f"CSV column of the {source} labels (default: {default or 'none'}; "
            "'none' leaves it out)",
        )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_runtime_flag(parser)
    parser.set_defaults(run=run_attributes)

    parser = subparsers.add_parser(
        "attributes-train", help="train the attribute heads on the shared H&M photos"
    )
    parser.add_argument("--preset", default="cpu", choices=["cpu", "smoke"])
    parser.add_argument("--out", help="run folder (default: the preset's runs/attributes)")
    parser.add_argument("--variants", nargs="+", help="variants to train (default: all)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="override a field"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the variants an interrupted run of the same recipe finished, train the rest",
    )
    parser.add_argument("--ship", metavar="NAME", help="write the winner to assets/attributes/NAME")
    parser.set_defaults(run=run_train)


def run_attributes(args: argparse.Namespace) -> int:
    if (args.catalog is None) == (args.images is None):
        raise ValueError("give either --catalog (list, export) or --images with --csv (score)")
    if args.images is not None:
        return _evaluate(args)
    return _list(args)


def _list(args: argparse.Namespace) -> int:
    from skill.catalog.store import open_catalog

    if args.add:
        from skill.catalog.add_attributes import add_attributes

        model = "auto" if args.model == "fashion-attributes" else args.model
        with ProgressBar() as progress:
            add_attributes(args.catalog, model, args.batch_size, args.runtime, progress)
    catalog = open_catalog(args.catalog)
    stored = catalog.attributes
    if stored is None:
        raise ValueError(
            f"{args.catalog} has no attributes; rebuild it with `python -m skill index` "
            "(attributes are on by default)"
        )
    import numpy as np
    import pandas as pd

    probabilities = np.asarray(stored.probabilities, np.float32)
    facts = stored.facts()
    with np.errstate(invalid="ignore"):
        likely = (probabilities >= stored.likely_threshold) & ~facts
    summary = pd.DataFrame(
        {
            "attribute": stored.display,
            "label": stored.labels,
            "facts": facts.sum(axis=0),
            "likely": likely.sum(axis=0),
            "threshold": ["-" if t is None else f"{t:.3f}" for t in stored.thresholds],
        }
    )
    if args.out:
        stored.table(catalog.items).to_csv(args.out, index=False)
    if args.json:
        records = [
            {"attribute": a, "label": label, "facts": int(f), "likely": int(k), "threshold": t}
            for a, label, f, k, t in zip(
                stored.display, stored.labels, summary["facts"], summary["likely"],
                stored.thresholds, strict=True,
            )
        ]  # fmt: skip
        print(json.dumps({"model": stored.name, "photos": len(catalog.items),
                          "attributes": records}, indent=2))  # fmt: skip
    else:
        shared = stored.info.get("shared_with")
        how = f"trunk shared with {shared}" if shared else "its own network"
        print(
            f"{stored.name}: {len(catalog.items):,} photos, {len(stored.labels)} attributes ({how})"
        )
        print(summary.to_string(index=False))
        if any(t is None for t in stored.thresholds):
            print("threshold -: never a fact (too few labelled photos to calibrate one); "
                  "shown as likely at most")  # fmt: skip
        if args.out:
            print(f"tags and probabilities of every photo -> {args.out}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from skill.attributes.labels import LabelColumns
    from skill.catalog.source import ColumnMap
    from skill.evaluation.attribute_protocol import evaluate_attributes

    if args.csv is None:
        raise ValueError("--images needs --csv (the labels)")
    named, overrides = [], {}
    for source, flag in LABEL_FLAGS.items():
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value is not None:
            overrides[source] = None if value.lower() == "none" else value
            if overrides[source]:
                named.append(source)
    label_columns = dataclasses.replace(LabelColumns(), **overrides)
    with ProgressBar() as progress:
        result = evaluate_attributes(
            args.images, args.csv, args.model, label_columns,
            ColumnMap(image=args.image_col, id=args.id_col), tuple(named),
            args.batch_size, args.runtime, progress,
        )  # fmt: skip
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    report = result.report
    print(
        f"{result.model} on {result.photos:,} photos ({len(result.skipped)} skipped): "
        f"mean AUC {report.mean_auc:.4f}, mean AP {report.mean_ap:.4f} over "
        f"{len(report.measured)} measurable labels"
    )
    print(report.per_label.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def run_train(args: argparse.Namespace) -> int:
    from skill.train.attributes.config import ATTRIBUTE_PRESETS
    from skill.train.attributes.trainer import format_table, train_attribute_heads

    config = ATTRIBUTE_PRESETS[args.preset]
    changes = {}
    if args.out:
        changes["output_dir"] = args.out
    if args.variants:
        changes["variants"] = tuple(args.variants)
    for item in args.set:
        field, separator, value = item.partition("=")
        known = {f.name: f for f in dataclasses.fields(config)}
        if field not in known or not separator:
            raise ValueError(f"--set wants FIELD=VALUE with FIELD in {sorted(known)}")
        current = getattr(config, field)
        changes[field] = (
            type(current)(value) if not isinstance(current, tuple) else tuple(value.split(","))
        )
    config = dataclasses.replace(config, **changes)
    with ProgressBar() as progress:
        results = train_attribute_heads(config, progress, resume=args.resume)
    print(format_table(results))
    if args.ship:
        from skill.attributes.checkpoint import ASSETS_ATTRIBUTES
        from skill.paths import project_path
        from skill.train.attributes.export import ship_attribute_model

        folder = ship_attribute_model(project_path(config.output_dir), ASSETS_ATTRIBUTES / args.ship,
                                      name=args.ship)  # fmt: skip
        print(f"shipped -> {folder}", file=sys.stderr)
    return 0
