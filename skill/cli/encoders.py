"""``encoders``: list the available encoders (shipped checkpoints and built-ins)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``encoders`` command."""
    parser = subparsers.add_parser("encoders", help="list the available encoders")
    parser.set_defaults(run=run_encoders)


def run_encoders(args: argparse.Namespace) -> int:
    from skill.encoders.registry import list_encoders

    for info in list_encoders():
        print(f"{info.name:24s} {info.role:15s} {info.embedding_dim:5d}-d  {info.display_name}")
    return 0
