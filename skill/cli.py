"""Command line: ``python -m skill <command>``. Each command is a thin wrapper over the library.

Commands:
    encoders   list the available encoders
    index      build or extend a catalog from a folder of photos (and a CSV)
    search     find the nearest designs to one or more photos
    eval       colour-variant retrieval and colour invariance on a labelled catalog
    split      write a design-disjoint train/validation split of a labelled CSV
    demo       render the demo photos and build the demo catalog the app opens first
    train      train a design encoder with SkiLL (or the plain-DINO ablation), resumable
    clusters   cluster a catalog by design, with readable labels
    trends     cluster or category share of launches over time, rising and falling
    label      few-shot labelling from a few tagged photos, or its accuracy
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from skill.catalog.source import CatalogInputError, ColumnMap


def _progress_bar():
    """A :class:`skill.progress.Progress` drawing one tqdm bar per stage."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int, unit: str = "photos") -> None:
        if stage not in bars:
            for bar in bars.values():
                bar.close()
            bars.clear()
            bars[stage] = tqdm(
                total=total, desc=stage, unit=f" {unit}", file=sys.stderr, leave=False
            )
        bar = bars[stage]
        bar.total = total
        bar.n = done
        bar.refresh()

    return progress


def _runtime_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--runtime",
        default="auto",
        choices=["auto", "onnx", "torch", "channels_last"],
        help="embedding runtime (auto: ONNX Runtime where installed, else torch)",
    )


def _add_column_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", type=Path, help="CSV of labels (optional)")
    parser.add_argument("--image-col", help="CSV column with image paths (relative to --images)")
    parser.add_argument("--id-col", help="CSV column with item ids")
    parser.add_argument("--design-col", help="CSV column with design ids")
    parser.add_argument("--color-col", help="CSV column with colour names")
    parser.add_argument("--category-col", help="CSV column with categories")
    parser.add_argument("--title-col", help="CSV column with titles")
    parser.add_argument("--date-col", help="CSV column with dates")


def _columns(args: argparse.Namespace) -> ColumnMap:
    return ColumnMap(
        image=args.image_col,
        id=args.id_col,
        design=args.design_col,
        color=args.color_col,
        category=args.category_col,
        title=args.title_col,
        date=args.date_col,
    )


def _encoders(args: argparse.Namespace) -> int:
    from skill.encoders.registry import list_encoders

    for info in list_encoders():
        print(f"{info.name:24s} {info.role:15s} {info.embedding_dim:5d}-d  {info.display_name}")
    return 0


def _index(args: argparse.Namespace) -> int:
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
    summary = build_catalog(
        args.images,
        args.catalog,
        csv_path=args.csv,
        columns=_columns(args),
        encoders=args.encoder or ["imagenet-lite0"],
        config=config,
        progress=_progress_bar(),
    )
    print(summary.describe())
    for row in summary.skipped.itertuples():
        print(f"  skipped {row.image_path or '(no path)'}: {row.reason}")
    return 0


def _search(args: argparse.Namespace) -> int:
    from skill.catalog.store import open_catalog
    from skill.encoders.embedding import embed_images
    from skill.encoders.registry import reopen_encoder
    from skill.search import SearchConfig, search_catalog

    catalog = open_catalog(args.catalog)
    name = args.encoder or catalog.encoders[0]
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
    for hit in hits.itertuples():
        colour = hit.color or hit.color_name
        print(f"{indent}{hit.score:.3f}  {hit.item_id:20s} {colour:14s} {hit.title}")


def _eval(args: argparse.Namespace) -> int:
    from skill.catalog.source import read_items
    from skill.encoders.registry import create_encoder
    from skill.evaluation.protocol import EvalConfig, evaluate_encoder

    table = read_items(args.images, args.csv, _columns(args))
    encoder = create_encoder(args.encoder)
    bar = _progress_bar()
    figures = evaluate_encoder(
        encoder,
        table.items,
        args.images,
        EvalConfig(
            batch_size=args.batch_size,
            invariance_sample=args.invariance_sample,
            cache_dir=str(args.cache_dir) if args.cache_dir else None,
            runtime=args.runtime,
        ),
        progress=bar,
    )
    figures["encoder"] = encoder.name
    if args.json:
        print(json.dumps({k: (None if _nan(v) else v) for k, v in figures.items()}))
    else:
        for key, value in figures.items():
            print(f"{key:18s} {value:.4f}" if isinstance(value, float) else f"{key:18s} {value}")
    return 0


def _nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _split(args: argparse.Namespace) -> int:
    from skill.catalog.source import read_csv, resolve_columns
    from skill.evaluation.splits import split_designs

    frame = read_csv(args.csv)
    column = resolve_columns(frame, ColumnMap(design=args.design_col)).get("design")
    if column is None:
        raise CatalogInputError(
            f"no design column found; name it with --design-col (columns: {list(frame.columns)})"
        )
    train, val = split_designs(frame[column], args.val_fraction, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    frame.iloc[train].to_csv(args.out / "train.csv", index=False)
    frame.iloc[val].to_csv(args.out / "val.csv", index=False)
    print(f"train: {len(train)} rows, val: {len(val)} rows -> {args.out}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from skill.demo.catalog import build_demo

    catalog = build_demo(
        progress=_progress_bar(), root=args.out, force=args.force, map_method=args.map
    )
    print(f"demo catalog ready: {catalog} (start the app with `streamlit run app.py`)")
    return 0


def _add_train_parser(sub) -> None:
    """The ``train`` command: a recipe of :data:`skill.train.recipes.RECIPES`, a few settings
    overridden."""
    from skill.train.recipes import METHODS, PRESET_NAMES

    p = sub.add_parser("train", help="train a design encoder (SkiLL or plain DINO), resumable")
    p.add_argument(
        "--preset",
        default="cpu",
        choices=PRESET_NAMES,
        help="recipe to start from (cpu: SkiLL/DINO on a photo bank with whitening, or a head "
        "on frozen features for triplet|atl|parts|simclr; cpu-views: SkiLL/DINO on a multi-crop "
        "view bank; bank: the last stages trained on stored trunk maps, colour-variant "
        "methods; gpu: fine-tuning on fresh views)",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        help="default: skill; triplet|atl|parts|simclr train a colour-variant encoder "
        "(skill.train.variants)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="set a field of the recipe (TrainConfig, or VariantConfig for colour-variant "
        "methods), e.g. --set input_grayscale=true (repeatable)",
    )
    p.add_argument(
        "--images",
        help="photo folder with the label CSV; relative to the project folder "
        "(default: ../shared/data/hm_colour_variants)",
    )
    p.add_argument("--csv-name", help="label CSV inside --images")
    p.add_argument(
        "--out",
        help="run folder: resumable state, log, exported encoder; relative to the project folder",
    )
    p.add_argument("--epochs", type=int)
    p.add_argument("--max-steps-per-epoch", type=int, help="cap steps per epoch (budgets)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--name", help="name of the exported encoder")
    p.add_argument("--seed", type=int)
    p.add_argument("--no-eval", action="store_true", help="skip the evaluation at the end")
    p.add_argument(
        "--untrained",
        action="store_true",
        help="skill|dino: export and evaluate the recipe's starting point (input, pooling, "
        "whitening) without training, the row that shows what training adds",
    )
    p.set_defaults(run=_train)


def _train(args: argparse.Namespace) -> int:
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
    print(json.dumps(run(config, progress=_progress_bar())))
    return 0


def _add_cluster_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalog", type=Path, required=True)
    p.add_argument("--encoder", help="encoder (default: the catalog's first)")
    p.add_argument("--n-clusters", type=int, help="clusters (default: about sqrt(designs / 2))")
    p.add_argument("--method", default="kmeans", choices=["kmeans", "agglomerative"])
    p.add_argument(
        "--by-photo", action="store_true", help="cluster single photos, not design means"
    )
    p.add_argument("--seed", type=int, default=0)


def _cluster_catalog(args: argparse.Namespace):
    from skill.analysis.clusters import ClusterConfig, cluster_designs
    from skill.catalog.store import open_catalog

    catalog = open_catalog(args.catalog)
    config = ClusterConfig(
        method=args.method, n_clusters=args.n_clusters, by_design=not args.by_photo, seed=args.seed
    )
    embeddings = catalog.embeddings(args.encoder or catalog.encoders[0])
    return catalog, cluster_designs(embeddings, catalog.items, config)


def _add_clusters_parser(sub) -> None:
    p = sub.add_parser("clusters", help="cluster a catalog by design, with labels")
    _add_cluster_flags(p)
    p.add_argument("--out", type=Path, help="cluster table CSV")
    p.add_argument("--items-out", type=Path, help="CSV of every photo with its cluster")
    p.set_defaults(run=_clusters)


def _clusters(args: argparse.Namespace) -> int:
    from skill.analysis.clusters import cluster_members

    catalog, result = _cluster_catalog(args)
    print(
        f"{len(result.table)} clusters of {len(catalog.items)} photos; "
        f"design purity {result.design_purity:.3f} (colour variants in one cluster)"
    )
    for row in result.table.itertuples():
        print(f"{row.cluster:4d} {row.size:6d} photos {row.n_designs:5d} designs  {row.label}")
    if args.out:
        result.table.to_csv(args.out, index=False)
    if args.items_out:
        cluster_members(catalog.items, result).to_csv(args.items_out, index=False)
    return 0


def _add_trends_parser(sub) -> None:
    p = sub.add_parser("trends", help="cluster or category share of launches over time")
    _add_cluster_flags(p)
    p.add_argument("--by", default="cluster", choices=["cluster", "category"])
    p.add_argument("--freq", default="Q", choices=["M", "Q", "Y"], help="month, quarter, year")
    p.add_argument("--per-photo", action="store_true", help="count photos, not designs")
    p.add_argument("--out", type=Path, help="trend table CSV (one row per group)")
    p.add_argument("--shares-out", type=Path, help="CSV of shares per period and group")
    p.add_argument("--html", type=Path, help="write the chart as a standalone HTML page")
    p.set_defaults(run=_trends)


def _trends(args: argparse.Namespace) -> int:
    from skill.analysis.trends import (
        category_share_over_time,
        cluster_share_over_time,
        find_trends,
        trend_figure,
    )
    from skill.catalog.store import open_catalog

    names = None
    if args.by == "cluster":
        catalog, result = _cluster_catalog(args)
        shares = cluster_share_over_time(
            catalog.items, result.labels, args.freq, not args.per_photo
        )
        names = result.names
    else:
        catalog = open_catalog(args.catalog)
        shares = category_share_over_time(catalog.items, args.freq, per_design=not args.per_photo)
    if shares.counts.empty:
        raise ValueError("the catalog has no readable dates; index it with --date-col")
    trends = find_trends(shares)
    if names:
        trends.insert(1, "label", trends["group"].map(names))
    print(
        f"{int(shares.counts.to_numpy().sum())} launches in {len(shares.counts)} periods; "
        f"{shares.bad_dates} unreadable and {shares.missing_dates} missing dates left out"
    )
    for row in trends[trends["direction"] != "flat"].itertuples():
        name = names[row.group] if names else row.group
        print(f"  {row.direction:8s} {row.change_points:+6.1f} pts  (p={row.p_value:.3g})  {name}")
    if (trends["direction"] == "flat").all():
        print("  no significant rising or falling group")
    if args.out:
        trends.to_csv(args.out, index=False)
    if args.shares_out:
        shares.long().to_csv(args.shares_out, index=False)
    if args.html:
        trend_figure(shares, trends, names=names).write_html(args.html)
    return 0


def _add_label_parser(sub) -> None:
    p = sub.add_parser("label", help="few-shot labelling from a few tagged photos per label")
    p.add_argument("--catalog", type=Path, required=True)
    p.add_argument("--encoder", help="encoder (default: the catalog's first)")
    p.add_argument("--labels", type=Path, help="CSV of tagged photos: item_id,label")
    p.add_argument("--method", default="prototypes", choices=["prototypes", "knn"])
    p.add_argument("-k", type=int, default=10, help="neighbours for --method knn")
    p.add_argument("--out", type=Path, help="CSV of every photo with its label and confidence")
    p.add_argument("--evaluate-column", help="item column with known labels to score against")
    p.add_argument("--shots", type=int, nargs="+", default=[1, 5, 10], help="tags per label")
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=_label)


def _label(args: argparse.Namespace) -> int:
    from skill.analysis.fewshot import evaluate_few_shot, label_by_knn, label_by_prototypes
    from skill.catalog.source import read_csv
    from skill.catalog.store import open_catalog

    catalog = open_catalog(args.catalog)
    embeddings = catalog.embeddings(args.encoder or catalog.encoders[0])
    items = catalog.items
    if args.evaluate_column:
        if args.evaluate_column not in items:
            raise ValueError(f"no column {args.evaluate_column!r}; columns: {list(items.columns)}")
        table = evaluate_few_shot(
            embeddings, items[args.evaluate_column], args.shots, args.trials, args.seed, args.k
        )
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        if args.out:
            table.to_csv(args.out, index=False)
        return 0
    if args.labels is None:
        raise ValueError("give --labels seeds.csv (item_id,label) or --evaluate-column")
    tags = read_csv(args.labels)
    if not {"item_id", "label"} <= set(tags.columns):
        raise ValueError(f"{args.labels} needs columns item_id,label; it has {list(tags.columns)}")
    row_of = {item: row for row, item in enumerate(items["item_id"])}
    unknown = [i for i in tags["item_id"] if i not in row_of]
    for item in unknown:
        print(f"skipped tag of unknown item {item!r}", file=sys.stderr)
    seeds = {
        row_of[i]: label
        for i, label in zip(tags["item_id"], tags["label"], strict=True)
        if i in row_of
    }
    if args.method == "knn":
        labels = label_by_knn(embeddings, seeds, k=args.k)
    else:
        labels = label_by_prototypes(embeddings, seeds)
    columns = [c for c in ("item_id", "design_id", "category", "title") if c in items]
    table = _join_labels(items[columns], labels)
    counts = table.loc[~table["seeded"], "label"].value_counts()
    print(f"labelled {len(table)} photos from {len(seeds)} tags ({len(counts)} labels):")
    for name, count in counts.items():
        mean = table.loc[table["label"] == name, "confidence"].mean()
        print(f"  {name:24s} {count:6d} photos  mean confidence {mean:.2f}")
    if args.out:
        table.to_csv(args.out, index=False)
    return 0


def _join_labels(items, labels):
    """Item columns side by side with the label columns (rows aligned by position)."""
    table = items.reset_index(drop=True).copy()
    for column in labels.columns:
        table[column] = labels[column].to_numpy()
    return table


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m skill``."""
    parser = argparse.ArgumentParser(prog="python -m skill", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("encoders", help="list the available encoders")
    p.set_defaults(run=_encoders)

    p = sub.add_parser("index", help="build or extend a catalog")
    p.add_argument("--images", type=Path, required=True, help="folder of product photos")
    p.add_argument("--catalog", type=Path, required=True, help="catalog folder to write")
    p.add_argument("--encoder", action="append", help="encoder name or path (repeatable)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument(
        "--part-size", type=int, default=256, help="photos per cache part (what a crash can lose)"
    )
    p.add_argument("--index-kind", default="auto", choices=["auto", "flat", "ivf", "hnsw"])
    p.add_argument("--map", default="umap", choices=["umap", "pca"], help="2-D map method")
    _runtime_argument(p)
    _add_column_flags(p)
    p.set_defaults(run=_index)

    p = sub.add_parser("search", help="find the nearest designs to photos")
    p.add_argument("images", nargs="+", type=Path, help="query photo(s)")
    p.add_argument("--catalog", type=Path, required=True)
    p.add_argument("--encoder", help="encoder (default: the catalog's first)")
    p.add_argument("-k", type=int, default=10, help="designs to return")
    p.add_argument("--combine", default="mean", choices=["mean", "max"])
    p.add_argument("--json", action="store_true", help="print the hits as JSON")
    p.set_defaults(run=_search)

    p = sub.add_parser("eval", help="evaluate an encoder on a labelled catalog")
    p.add_argument("--images", type=Path, required=True)
    p.add_argument("--encoder", default="imagenet-lite0")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--invariance-sample", type=int, default=500, help="photos recoloured (0 skips)")
    _runtime_argument(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--cache-dir", type=Path, help="embedding cache to reuse, e.g. a catalog's cache/ folder"
    )
    _add_column_flags(p)
    p.set_defaults(run=_eval)

    p = sub.add_parser("split", help="design-disjoint train/val split of a CSV")
    p.add_argument("--csv", type=Path, required=True)
    p.add_argument("--design-col")
    p.add_argument("--val-fraction", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(run=_split)

    p = sub.add_parser("demo", help="render the demo photos and build the demo catalog")
    p.add_argument("--out", type=Path, help="demo folder (default: data/demo)")
    p.add_argument("--force", action="store_true", help="render the photos again")
    p.add_argument("--map", default="umap", choices=["umap", "pca"], help="2-D map method")
    p.set_defaults(run=_demo)

    _add_train_parser(sub)
    _add_clusters_parser(sub)
    _add_trends_parser(sub)
    _add_label_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI; returns the exit code (2 with a one-line message on bad input)."""
    args = build_parser().parse_args(argv)
    from skill.catalog.store import CatalogError
    from skill.encoders.checkpoint import CheckpointError

    try:
        return args.run(args)
    except (
        CatalogInputError,
        CatalogError,
        CheckpointError,
        FileNotFoundError,
        ValueError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
