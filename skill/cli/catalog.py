"""``index`` and ``search``: build or extend a catalog, and find the nearest designs in it.

``index`` adds its folder (and CSV) to the catalog as a source, or refreshes it when the catalog
already has that source; ``--replace`` starts over, ``--prune`` removes rows whose photo is gone.
It stops with exit code 2 and one line, the catalog untouched, when the source has nothing to
index, when the build would remove more than half of the catalog without ``--allow-shrink``,
and when another build of the catalog runs (``--wait SECONDS`` waits for it).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from skill.cli.common import ProgressBar, add_column_flags, add_runtime_flag, columns


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``index`` and ``search`` commands."""
    parser = subparsers.add_parser(
        "index",
        help="build a catalog, or add a folder to it (refresh it if the catalog has it)",
        description="Indexes a folder of photos (and a label CSV) into a catalog. A catalog "
        "remembers its sources: a new folder or CSV is added beside them, a known one is "
        "refreshed (new and changed photos; rows it no longer lists are kept unless --prune).",
    )
    parser.add_argument("--images", type=Path, required=True, help="folder of product photos")
    parser.add_argument("--catalog", type=Path, required=True, help="catalog folder to write")
    what = parser.add_argument_group("what the build may change")
    what.add_argument(
        "--replace",
        action="store_true",
        help="start over: the catalog becomes this source only (its other sources are dropped)",
    )
    what.add_argument(
        "--prune",
        action="store_true",
        help="remove rows whose photo file is gone, and rows this source no longer lists",
    )
    what.add_argument(
        "--allow-shrink",
        action="store_true",
        help="allow a build that removes more than half of the catalog's rows",
    )
    what.add_argument(
        "--dry-run", action="store_true", help="say what the build would do, and stop"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to this long for another build of the catalog to finish (default: stop)",
    )
    parser.add_argument(
        "--encoder",
        action="append",
        help="encoder name or path (repeatable; default: a catalog's own encoders, and for a new "
        "catalog the installed encoder with the best measured hit@1 on held-out designs, named "
        "in the summary)",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--part-size", type=int, default=256, help="photos per cache part (what a crash can lose)"
    )
    parser.add_argument("--index-kind", default="auto", choices=["auto", "flat", "ivf", "hnsw"])
    parser.add_argument("--map", default="umap", choices=["umap", "pca"], help="2-D map method")
    parser.add_argument(
        "--attributes",
        default="auto",
        help="attribute model stored with the photos (auto: the shipped one; none: no attributes)",
    )
    add_runtime_flag(parser, int8=True)
    parser.add_argument(
        "--int8-min-agreement",
        type=float,
        metavar="COSINE",
        help="onnx-int8: least mean cosine of an encoder's int8 embeddings to its float ones on "
        "held-back catalog photos, or the build stops; an encoder below 0.98 (or this, if "
        "higher) is first quantised again with its first convolutions in float (default 0.95)",
    )
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

    parser = subparsers.add_parser(
        "search",
        help="find the nearest designs to photos",
        description="Each photo (and each photo in a folder) is searched on its own, in one "
        "call; --one-product searches them together as views of one product. An encoder "
        "exported to ONNX before (by any search or build) runs without loading torch.",
    )
    parser.add_argument(
        "images", nargs="+", type=Path, help="query photos, or folders of them (searched within)"
    )
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument(
        "--one-product",
        action="store_true",
        help="the photos are views of one product: one query of them all (see --combine)",
    )
    parser.add_argument(
        "--encoder",
        help="encoder (default: the catalog's best measured one: hit@1 on its own labelled "
        "designs, else on held-out designs; printed to stderr)",
    )
    parser.add_argument("-k", type=int, default=10, help="designs to return")
    parser.add_argument(
        "--combine",
        default="mean",
        choices=["mean", "max"],
        help="with --one-product: average the photos' embeddings, or keep each hit's best",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the hits as JSON, each with its query"
    )
    parser.set_defaults(run=run_search)


def run_index(args: argparse.Namespace) -> int:
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.index import IndexConfig
    from skill.catalog.lock import CatalogBusyError
    from skill.catalog.plan import CatalogShrinkError, plan_build
    from skill.catalog.pointer import current_version
    from skill.catalog.projection import MapConfig

    if args.dry_run:
        plan = plan_build(
            args.images, args.catalog, args.csv, columns(args), args.replace, args.prune
        )
        print(f"would {plan.describe()}")
        for row in plan.removed.head(20).itertuples():
            print(f"  would remove {row.item_id} ({row.image_path}): {row.reason}")
        if plan.needs_confirmation and not args.allow_shrink:
            print("  (needs --allow-shrink)")
        return 0

    config = CatalogConfig(
        batch_size=args.batch_size,
        part_size=args.part_size,
        index=IndexConfig(kind=args.index_kind),
        map=MapConfig(method=args.map),
        runtime=args.runtime,
        attributes=None if args.attributes == "none" else args.attributes,
    )
    if args.int8_min_agreement is not None:
        config = replace(config, int8_min_agreement=args.int8_min_agreement)
    encoders, chosen = args.encoder or [], ""
    if not encoders and current_version(args.catalog) is None:
        from skill.encoders.registry import default_encoder

        name, why = default_encoder()
        encoders, chosen = [name], f"encoder {name}: {why}"
    build, engine = build_catalog, {}
    if args.engine == "ray":
        from skill.catalog.ray_build import RayConfig, build_catalog_ray

        build = build_catalog_ray
        engine = {"ray_config": RayConfig(address=args.address, workers=args.workers)}
    try:
        with ProgressBar() as progress:
            summary = build(
                args.images,
                args.catalog,
                csv_path=args.csv,
                columns=columns(args),
                encoders=encoders,
                config=config,
                progress=progress,
                replace=args.replace,
                prune=args.prune,
                allow_shrink=args.allow_shrink,
                wait=args.wait,
                **engine,
            )
    except CatalogShrinkError as error:
        print(
            f"error: {error.what}; nothing was changed (--allow-shrink builds anyway)",
            file=sys.stderr,
        )
        return 2
    except CatalogBusyError as error:
        hint = "" if args.wait else " (--wait SECONDS waits for it)"
        print(f"error: {error}{hint}", file=sys.stderr)
        return 2
    if summary.recovered_lock:
        print(f"note: recovered the lock of a build that did not finish: {summary.recovered_lock}")
    print(summary.describe())
    if chosen:
        print(chosen)
    if summary.attributes:
        print(summary.attributes)
    for row in summary.skipped.itertuples():
        print(f"  skipped {row.image_path or '(no path)'}: {row.reason}")
    return 0


def run_search(args: argparse.Namespace) -> int:
    from skill.catalog.store import open_catalog
    from skill.encoders.embedding import embed_images
    from skill.encoders.onnx import open_exported
    from skill.search import SearchConfig, search_catalog

    catalog = open_catalog(args.catalog)
    name = args.encoder
    if name is None:
        from skill.encoders.roles import best_encoder

        name, why = best_encoder(catalog.manifest["encoders"])
        print(f"encoder: {name} ({why})", file=sys.stderr)
    photos = _query_photos(args.images)
    entry = catalog.manifest["encoders"].get(name, {})
    # An export from an earlier run needs neither torch nor timm: most of a search's start-up.
    encoder = open_exported(name, entry.get("digest", ""))
    if encoder is None:
        from skill.encoders.registry import reopen_encoder

        encoder = reopen_encoder(name, entry.get("source", ""))
    result = embed_images(encoder, photos, batch_size=16, runtime="auto")
    for i, reason in result.failures:
        print(f"skipped {photos[i]}: {reason}", file=sys.stderr)
    if len(result.embeddings) == 0:
        print("error: no usable query photo", file=sys.stderr)
        return 2
    config = SearchConfig(k=args.k, combine=args.combine)
    if args.one_product:
        queries = [("; ".join(str(photos[i]) for i in result.indices), result.embeddings)]
    else:
        queries = [
            (str(photos[i]), vector[None])
            for i, vector in zip(result.indices, result.embeddings, strict=True)
        ]
    found = [(query, search_catalog(catalog, name, vectors, config)) for query, vectors in queries]
    if args.json:
        import pandas as pd

        hits = [r.hits.assign(query=query) for query, r in found if not r.hits.empty]
        print(pd.concat(hits, ignore_index=True).to_json(orient="records") if hits else "[]")
        return 0
    for query, search in found:
        if len(found) > 1:
            print(f"== {query}")
        _print_result(search)
    return 0


def _query_photos(paths: list[Path]) -> list[Path]:
    """The photos named, with every photo inside a named folder (sorted) in its place."""
    from skill.images.decode import list_images

    photos: list[Path] = []
    for path in paths:
        photos.extend(list_images(path) if path.is_dir() else [path])
    if not photos:
        raise ValueError(f"no photos in {', '.join(map(str, paths))}")
    return photos


def _print_result(found) -> None:
    if found.weak:
        print(
            f"Weak match: the best score ({found.best_score:.3f}) is below the closest other "
            f"design of {100 * (1 - found.match_share):.0f}% of the catalog's photos; the "
            "catalog likely holds nothing like this photo."
        )
    if found.same_design is not None:
        print(f"This design in other colours: {found.same_design.design_id}")
        _print_hits(found.same_design.hits)
    print("Similar designs:")
    for group in found.similar:
        print(f"  design {group.design_id}  best {group.score:.3f}")
        _print_hits(group.hits, indent="    ")


def _print_hits(hits, indent: str = "  ") -> None:
    from skill.catalog.items import colour_names

    for hit, colour in zip(hits.itertuples(), colour_names(hits), strict=True):
        print(f"{indent}{hit.score:.3f}  {hit.item_id:20s} {colour:14s} {hit.title}")
