"""``clusters``, ``trends`` and ``label``: what a catalog holds, what rises, and few-shot labels."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``clusters``, ``trends`` and ``label`` commands."""
    parser = subparsers.add_parser("clusters", help="cluster a catalog by design, with labels")
    _add_cluster_flags(parser)
    parser.add_argument("--out", type=Path, help="cluster table CSV")
    parser.add_argument("--items-out", type=Path, help="CSV of every photo with its cluster")
    parser.set_defaults(run=run_clusters)

    parser = subparsers.add_parser("trends", help="cluster or category share of launches over time")
    _add_cluster_flags(parser)
    parser.add_argument("--by", default="cluster", choices=["cluster", "category"])
    parser.add_argument("--freq", default="Q", choices=["M", "Q", "Y"], help="month, quarter, year")
    parser.add_argument("--per-photo", action="store_true", help="count photos, not designs")
    parser.add_argument("--out", type=Path, help="trend table CSV (one row per group)")
    parser.add_argument("--shares-out", type=Path, help="CSV of shares per period and group")
    parser.add_argument("--html", type=Path, help="write the chart as a standalone HTML page")
    parser.set_defaults(run=run_trends)

    parser = subparsers.add_parser(
        "label", help="few-shot labelling from a few tagged photos per label"
    )
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--encoder", help="encoder (default: the catalog's first)")
    parser.add_argument("--labels", type=Path, help="CSV of tagged photos: item_id,label")
    parser.add_argument("--method", default="prototypes", choices=["prototypes", "knn"])
    parser.add_argument("-k", type=int, default=10, help="neighbours for --method knn")
    parser.add_argument("--out", type=Path, help="CSV of every photo with its label and confidence")
    parser.add_argument("--evaluate-column", help="item column with known labels to score against")
    parser.add_argument("--shots", type=int, nargs="+", default=[1, 5, 10], help="tags per label")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(run=run_label)


def _add_cluster_flags(parser: argparse.ArgumentParser) -> None:
    """The flags ``clusters`` and ``trends`` share: which catalog, encoder and clustering."""
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--encoder", help="encoder (default: the catalog's first)")
    parser.add_argument(
        "--n-clusters", type=int, help="clusters (default: about sqrt(designs / 2))"
    )
    parser.add_argument("--method", default="kmeans", choices=["kmeans", "agglomerative"])
    parser.add_argument(
        "--by-photo", action="store_true", help="cluster single photos, not design means"
    )
    parser.add_argument(
        "--whole-catalog",
        action="store_true",
        help="cluster every category together (default: within each category, so no cluster "
        "mixes categories; --n-clusters is then shared among them)",
    )
    parser.add_argument("--seed", type=int, default=0)


def run_clusters(args: argparse.Namespace) -> int:
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


def _cluster_catalog(args: argparse.Namespace):
    from skill.analysis.clusters import ClusterConfig, cluster_designs
    from skill.catalog.store import open_catalog

    catalog = open_catalog(args.catalog)
    config = ClusterConfig(
        method=args.method,
        n_clusters=args.n_clusters,
        by_design=not args.by_photo,
        seed=args.seed,
        within=None if args.whole_catalog else "category",
    )
    embeddings = catalog.embeddings(args.encoder or catalog.encoders[0])
    return catalog, cluster_designs(embeddings, catalog.items, config)


def run_trends(args: argparse.Namespace) -> int:
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


def run_label(args: argparse.Namespace) -> int:
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
