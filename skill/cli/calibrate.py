"""``calibrate``: fit an encoder's same-design rule on held-out labelled designs.

The rule (:mod:`skill.catalog.same_design`) turns a search's top designs into the probability
that the best one is the query's own design. It must be fitted on designs the encoder was not
trained on: by default the *tune* split of the labelled folder (held-out training designs,
:mod:`skill.evaluation.splits`), which the shipped encoders are trained without.
"""

from __future__ import annotations

import argparse
import json
import sys
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
    from skill.encoders.registry import create_encoder
    from skill.evaluation.calibration import calibrate_encoder, store_rule, trained_on_tune
    from skill.evaluation.splits import HM_COLUMNS, read_split, split_tune
    from skill.paths import DEFAULT_TRAINING_DATA, project_path

    images = project_path(args.images or DEFAULT_TRAINING_DATA)
    encoder = create_encoder(args.encoder)
    if args.split == "tune":
        train, _ = read_split(images, args.csv_name)
        _, items = split_tune(train)
        where = f"held-out training designs (tune split) of {images.name}"
        if trained_on_tune(encoder.info.config):
            where = (
                f"the tune split of {images.name}'s training designs, which this encoder "
                "trained on (so its fitted figures may flatter it; judge it on unseen designs)"
            )
            print(f"note: {encoder.name} was trained on the tune designs", file=sys.stderr)
    else:
        from skill.catalog.source import read_items

        items = read_items(images, images / args.csv_name, HM_COLUMNS).items
        where = f"every design of {images.name}"
    with ProgressBar() as progress:
        record = calibrate_encoder(
            encoder, items, images, where, args.target_precision, args.runtime, progress
        )
    if args.write:
        store_rule(encoder, record)
    print(json.dumps({"encoder": encoder.name, **record["fitted"], "accept": record["accept"]}))
    return 0
