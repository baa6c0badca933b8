"""Command line: ``python -m skill <command>``. Each command is a thin wrapper over the library.

Commands:
    encoders   list the available encoders
    index      build or extend a catalog from a folder of photos (and a CSV)
    search     find the nearest designs to one or more photos
    eval       colour-variant retrieval and colour invariance on a labelled catalog
    calibrate  fit an encoder's same-design rule on held-out labelled designs
    split      write a design-disjoint train/validation split of a labelled CSV
    demo       render the demo photos and build the demo catalog the app opens first
    train      train a design encoder with SkiLL (or the plain-DINO ablation), resumable
    clusters   cluster a catalog by design, with readable labels
    trends     cluster or category share of launches over time, rising and falling
    label      few-shot labelling from a few tagged photos, or its accuracy
    attributes a catalog's predicted attributes (list, CSV), or the model's AUC/AP on labelled photos
    attributes-train  train the attribute heads (pooled, masked, attention) on the H&M photos

Each command family is a module here with a ``register(subparsers)`` that adds its
sub-parser(s) and sets ``run``, the handler that takes the parsed arguments and returns the exit
code. To add a command, write such a module and list it in :data:`COMMAND_MODULES`. Handlers
import the library inside themselves, so ``python -m skill --help`` loads no pandas or torch.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from skill.cli import analysis, attributes, calibrate, catalog, demo, encoders, evaluate, train

COMMAND_MODULES = (encoders, catalog, evaluate, calibrate, demo, train, analysis, attributes)
"""The command families, in the order ``--help`` lists their commands."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m skill``."""
    parser = argparse.ArgumentParser(prog="python -m skill", description=__doc__.split("\n")[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI; returns the exit code (2 with a one-line message on bad input)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except Exception as error:
        if not isinstance(error, _input_errors()):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2


def _input_errors() -> tuple[type[Exception], ...]:
    """What bad input raises: reported as one line and exit code 2, not a traceback."""
    from skill.catalog.source import CatalogInputError
    from skill.catalog.store import CatalogError
    from skill.encoders.checkpoint import CheckpointError

    return CatalogInputError, CatalogError, CheckpointError, FileNotFoundError, ValueError
