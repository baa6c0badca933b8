"""``index`` and ``search``: build or extend a catalog, and find the nearest designs in it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from skill.cli.common import ProgressBar, add_column_flags, add_runtime_flag, columns


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``index`` and ``search`` commands."""
    parser = subparsers.add_parser("index", help="build or extend a catalog")
    parser.add_argument("--images", type=Path, required=True, help="folder of product photos")
    parser.add_argument("--catalog", type=Path, required=True, help="catalog folder to write")
    parser.add_argument(
        "--encoder",
        action="append",
        help="encoder name or path (repeatable; default: the installed encoder with the best "
        "measured hit@1 on held-out designs, named in the summary)",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--part-size", type=int, default=256, help="photos per cache part (what a crash can lose)"
    )
    parser.add_argument("--index-kind", default="auto", choices=["auto", "flat", "ivf", "hnsw"])
    parser.add_argument("--map", default="umap", choices=["umap", "pca"], help="2-D map method")
    add_runtime_flag(parser, int8=True)
    add_column_flags(parser)
    parser.add_argument(
        "--engine",
        default="local",
        choices=["local", "ray"],
        help="local: this process; ray: Ray Data actors (pip install -r requirements-ray.txt)",
    )
    parser.add_argument(
        "--address", help="with --engine ray: the cluster (auto, host:6379); default: local Ray"
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="with --engine ray: actors (0: one per CPU)"
    )
    parser.set_defaults(run=run_index)

    parser = subparsers.add_parser("search", help="find the nearest designs to photos")
    parser.add_argument("images", nargs="+", type=Path, help="query photo(s)")
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument(
        "--encoder",
        help="encoder (default: the catalog's best measured one: hit@1 on its own labelled "
        "designs, else on held-out designs; printed to stderr)",
    )
    parser.add_argument("-k", type=int, default=10, help="designs to return")
    parser.add_argument("--combine", default="mean", choices=["mean", "max"])
    parser.add_argument("--json", action="store_true", help="print the hits as JSON")
    parser.set_defaults(run=run_search)


def run_index(args: argparse.Namespace) -> int:
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.index import IndexConfig
    from skill.catalog.projection import MapConfig

    config = CatalogConfig(
        batch_size=args.batch_size,
        part_size=args.part_size,
        index=IndexConfig(kind=args.index_kind),
        map=MapConfig(method=args.map),
        runtime=args.runtime,
    )
    encoders, chosen = args.encoder, ""
    if not encoders:
        from skill.encoders.registry import default_encoder

        name, why = default_encoder()
        encoders, chosen = [name], f"encoder {name}: {why}"
    build, engine = build_catalog, {}
    if args.engine == "ray":
        from skill.catalog.ray_build import RayConfig, build_catalog_ray

        build = build_catalog_ray
        engine = {"ray_config": RayConfig(address=args.address, workers=args.workers)}
    with ProgressBar() as progress:
        summary = build(
            args.images,
            args.catalog,
            csv_path=args.csv,
            columns=columns(args),
            encoders=encoders,
            config=config,
            progress=progress,
            **engine,
        )
    print(summary.describe())
    if chosen:
        print(chosen)
    for row in summary.skipped.itertuples():
        print(f"  skipped {row.image_path or '(no path)'}: {row.reason}")
    return 0


def run_search(args: argparse.Namespace) -> int:
    from skill.catalog.store import open_catalog
    from skill.encoders.embedding import embed_images
    from skill.encoders.registry import reopen_encoder
    from skill.search import SearchConfig, search_catalog

    catalog = open_catalog(args.catalog)
    name = args.encoder
    if name is None:
        from skill.encoders.roles import best_encoder

        name, why = best_encoder(catalog.manifest["encoders"])
        print(f"encoder: {name} ({why})", file=sys.stderr)
    encoder = reopen_encoder(name, catalog.manifest["encoders"].get(name, {}).get("source", ""))
    result = embed_images(encoder, args.images)
    for i, reason in result.failures:
        print(f"skipped {args.images[i]}: {reason}", file=sys.stderr)
    if len(result.embeddings) == 0:
        print("error: no usable query photo", file=sys.stderr)
        return 2
    found = search_catalog(
        catalog, encoder.name, result.embeddings, SearchConfig(k=args.k, combine=args.combine)
    )
    if args.json:
        print(found.hits.to_json(orient="records"))
        return 0
    if found.same_design is not None:
        print(f"This design in other colours: {found.same_design.design_id}")
        _print_hits(found.same_design.hits)
    print("Similar designs:")
    for group in found.similar:
        print(f"  design {group.design_id}  best {group.score:.3f}")
        _print_hits(group.hits, indent="    ")
    return 0


def _print_hits(hits, indent: str = "  ") -> None:
    from skill.catalog.items import colour_names

    for hit, colour in zip(hits.itertuples(), colour_names(hits), strict=True):
        print(f"{indent}{hit.score:.3f}  {hit.item_id:20s} {colour:14s} {hit.title}")
