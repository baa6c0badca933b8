"""``train``: train a design encoder (SkiLL or the plain-DINO ablation) or a colour-variant one.

Runs resume from the state in ``--out``. Everything this command takes from :mod:`skill.train`
is in the last section of this module, so a change of that package's layout changes only it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from skill.cli.common import ProgressBar


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``train`` command: a preset recipe with a few settings overridden."""
    parser = subparsers.add_parser(
        "train", help="train a design encoder (SkiLL or plain DINO), resumable"
    )
    parser.add_argument(
        "--preset",
        default="cpu",
        choices=["cpu", "cpu-views", "bank", "gpu"],
        help="recipe to start from (cpu: SkiLL/DINO on a photo bank with whitening; cpu-views: "
        "SkiLL/DINO on a bank of multi-crop views, no whitening; bank: the last stages trained "
        "on stored trunk maps, colour-variant methods)",
    )
    parser.add_argument(
        "--method",
        choices=["skill", "dino", *_variant_methods()],
        help="default: the preset's (skill); triplet|atl|parts|simclr train a colour-variant "
        "encoder (skill.train.variants.recipe)",
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
        "--images", help="photo folder with the label CSV (default: shared H&M data)"
    )
    parser.add_argument("--csv-name", help="label CSV inside --images")
    parser.add_argument("--out", help="run folder: resumable state, log, exported encoder")
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
    if args.method in _variant_methods():
        with ProgressBar() as progress:
            summary = _train_variant(args, progress)
        print(json.dumps(summary))
        return 0
    config = _design_config(args)
    if args.untrained:
        print(json.dumps(_export_untrained(config)))
        return 0
    from tqdm import tqdm

    with tqdm(desc=f"training ({config.method})", unit="step", file=sys.stderr) as bar:

        def progress(step: int, total: int, loss: float) -> None:
            bar.total = total
            bar.n = step
            bar.set_postfix(loss=f"{loss:.4f}")
            bar.refresh()

        summary = _train_design(config, progress)
    print(json.dumps(summary))
    return 0


# What this command takes from skill.train ------------------------------------------------------


def _variant_methods() -> tuple[str, ...]:
    from skill.train.variants.config import VARIANT_METHODS

    return VARIANT_METHODS


def _train_variant(args: argparse.Namespace, progress) -> dict[str, Any]:
    from skill.train.variants.config import make_variant_config
    from skill.train.variants.recipe import train_variant

    config = make_variant_config(
        args.preset,
        args.method,
        args.set,
        images_dir=args.images,
        csv_name=args.csv_name,
        output_dir=args.out,
        epochs=args.epochs,
        device=args.device,
        seed=args.seed,
    )
    folder = train_variant(config, progress=progress)
    return {"encoder": str(folder), "output_dir": config.output_dir}


def _design_config(args: argparse.Namespace):
    """The design recipe (``TrainConfig``): the preset with the flags and ``--set`` applied."""
    import dataclasses

    from skill.train.dino.config import PRESETS, parse_settings

    if args.preset not in PRESETS:
        raise SystemExit(
            f"--preset {args.preset} is for triplet|atl; {args.method} has {sorted(PRESETS)}"
        )
    overrides = {
        "method": args.method,
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
    config = dataclasses.replace(
        PRESETS[args.preset], **{k: v for k, v in overrides.items() if v is not None}
    )
    config = dataclasses.replace(config, **parse_settings(config, args.set))
    if args.no_eval:
        config = dataclasses.replace(config, eval_at_end=False, eval_every=0)
    return config


def _train_design(config, progress) -> dict[str, Any]:
    from skill.train.dino.trainer import train

    return train(config, progress=progress)


def _export_untrained(config) -> dict[str, Any]:
    from skill.train.dino.trainer import export_untrained

    return export_untrained(config)
