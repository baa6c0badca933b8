"""``demo``: render the demo photos and build the demo catalog the app opens first."""

from __future__ import annotations

import argparse
from pathlib import Path

from skill.cli.common import ProgressBar


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``demo`` command."""
    parser = subparsers.add_parser("demo", help="render the demo photos and build the demo catalog")
    parser.add_argument("--out", type=Path, help="demo folder (default: data/demo)")
    parser.add_argument("--force", action="store_true", help="render the photos again")
    parser.add_argument("--map", default="umap", choices=["umap", "pca"], help="2-D map method")
    parser.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from skill.demo.catalog import build_demo

    with ProgressBar() as progress:
        catalog = build_demo(
            progress=progress, root=args.out, force=args.force, map_method=args.map
        )
    print(f"demo catalog ready: {catalog} (start the app with `streamlit run app.py`)")
    return 0
