"""``calibrate``: fit an encoder's same-design rule on held-out labelled designs.

The rule (:mod:`skill.catalog.same_design`) turns a search's top designs into the probability
that the best one is the query's own design. It must be fitted on designs the encoder was not
trained on: by default the *tune* split of the labelled folder (held-out training designs,
:mod:`skill.evaluation.splits`), which the shipped encoders are trained without.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from skill.cli.common import ProgressBar, add_runtime_flag


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``calibrate`` command."""
    parser = subparsers.add_parser(
        "calibrate", help="fit an encoder's same-design rule on held-out labelled designs"
    )
    parser.add_argument("--encoder", required=True, help="encoder name or checkpoint folder")
    parser.add_argument(
        "--images",
        type=Path,
        help="labelled photo folder with H&M column names (default: ../shared/data/"
        "hm_colour_variants, relative to the project folder)",
    )
    parser.add_argument("--csv-name", default="articles.csv", help="label CSV inside --images")
    parser.add_argument(
        "--split",
        default="tune",
        choices=["tune", "all"],
        help="tune: the held-out training designs (for encoders trained without them); all: "
        "every photo of the folder (a folder the encoder never saw)",
    )
    parser.add_argument(
        "--target-precision",
        type=float,
        default=0.92,
        help="share of answers that must be right on the fitted queries (default 0.92)",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="store the rule in the checkpoint's config.json (or the built-in rules file)",
    )
    add_runtime_flag(parser)
    parser.set_defaults(run=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    from skill.catalog.same_design import fit_rule, leave_one_out
    from skill.encoders.embedding import embed_images
    from skill.encoders.registry import create_encoder
    from skill.evaluation.splits import HM_COLUMNS, read_split, split_tune
    from skill.paths import DEFAULT_TRAINING_DATA, project_path

    images = project_path(args.images or DEFAULT_TRAINING_DATA)
    encoder = create_encoder(args.encoder)
    if args.split == "tune":
        train, _ = read_split(images, args.csv_name)
        _, items = split_tune(train)
        where = "held-out training designs (tune split)"
    else:
        from skill.catalog.source import read_items

        items = read_items(images, images / args.csv_name, HM_COLUMNS).items
        where = "every photo"
    with ProgressBar() as progress:
        result = embed_images(
            encoder, [images / p for p in items["image_path"]], progress=progress,
            runtime=args.runtime,
        )  # fmt: skip
    kept = items.iloc[result.indices]
    queries = leave_one_out(result.embeddings, kept["design_id"].to_numpy(), max_queries=None)
    source = (
        f"{len(queries.rows):,} photos of {where} of {images.name}, each searched with itself "
        "left out"
    )
    rule = fit_rule(queries, target_precision=args.target_precision, source=source)
    record = rule.to_dict()
    record["fitted"]["hit@1"] = queries.hit_at_1
    if args.write:
        _write(encoder, record)
    print(json.dumps({"encoder": encoder.name, **record["fitted"], "accept": rule.accept}))
    return 0


def _write(encoder, record: dict) -> None:
    """Stores the rule where the encoder's own description lives."""
    if encoder.info.source == "builtin":
        from skill.encoders.builtin_rules import write_builtin_rule

        write_builtin_rule(encoder.name, record)
        return
    from skill.encoders.checkpoint import CONFIG_FILE, read_config, validate_config

    folder = Path(encoder.info.source)
    config = read_config(folder)
    config["same_design"] = record
    validate_config(config, str(folder / CONFIG_FILE))
    staging = folder / f".{CONFIG_FILE}.tmp"
    staging.write_text(json.dumps(config, indent=1) + "\n")
    staging.replace(folder / CONFIG_FILE)
