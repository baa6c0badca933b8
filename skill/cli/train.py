"""``train``: train a design encoder (SkiLL or the plain-DINO ablation) or a colour-variant one.

The recipe comes from :data:`skill.train.recipes.RECIPES` (method x preset); runs resume from
the state in ``--out``.
"""

from __future__ import annotations

import argparse
import json

from skill.cli.common import ProgressBar


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``train`` command: a recipe of the table, a few settings overridden."""
    from skill.train.recipes import METHODS, PRESET_NAMES

    parser = subparsers.add_parser(
        "train", help="train a design encoder (SkiLL or plain DINO), resumable"
    )
    parser.add_argument(
        "--preset",
        default="cpu",
        choices=PRESET_NAMES,
        help="recipe to start from (cpu: SkiLL/DINO on a photo bank with whitening, or a head "
        "on frozen features for triplet|atl|parts|simclr; cpu-views: SkiLL/DINO on a multi-crop "
        "view bank; bank: the last stages trained on stored trunk maps, colour-variant "
        "methods; gpu: fine-tuning on fresh views)",
    )
    parser.add_argument(
        "--method",
        choices=METHODS,
        help="default: skill; triplet|atl|parts|simclr train a colour-variant encoder "
        "(skill.train.variants)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="set a field of the recipe (TrainConfig, or VariantConfig for colour-variant "
        "methods), e.g. --set input_grayscale=true (repeatable)",
    )
    parser.add_argument(
        "--images",
        help="photo folder with the label CSV; relative to the project folder "
        "(default: ../shared/data/hm_colour_variants)",
    )
    parser.add_argument("--csv-name", help="label CSV inside --images")
    parser.add_argument(
        "--out",
        help="run folder: resumable state, log, exported encoder; relative to the project folder",
    )
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--max-steps-per-epoch", type=int, help="cap steps per epoch (budgets)")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--name", help="name of the exported encoder")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--no-eval", action="store_true", help="skip the evaluation at the end")
    parser.add_argument(
        "--untrained",
        action="store_true",
        help="skill|dino: export and evaluate the recipe's starting point (input, pooling, "
        "whitening) without training, the row that shows what training adds",
    )
    parser.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    from skill.train.recipes import find_recipe

    recipe = find_recipe(args.method or "skill", args.preset)
    flags = {
        "images_dir": args.images,
        "csv_name": args.csv_name,
        "output_dir": args.out,
        "epochs": args.epochs,
        "max_steps_per_epoch": args.max_steps_per_epoch,
        "batch_size": args.batch_size,
        "device": args.device,
        "name": args.name,
        "seed": args.seed,
    }
    config = recipe.configure(
        args.set,
        evaluate=not args.no_eval,
        **{k: v for k, v in flags.items() if k in recipe.command_fields},
    )
    run = recipe.run_untrained if args.untrained else recipe.run
    with ProgressBar() as progress:
        summary = run(config, progress=progress)
    if isinstance(summary.get("metrics"), dict):  # undefined figures are NaN: JSON has none
        from skill.encoders.checkpoint import json_ready

        summary = {**summary, "metrics": json_ready(summary["metrics"])}
    print(json.dumps(summary))
    return 0
