"""Trend clusters on the shared H&M photos: are they coherent, and are their labels true?

Reads a catalog built from the shared H&M photos (the category column is guessed as
``product_type_name``), for example the whole folder::

    nice -n 10 python -m skill index --images ../shared/data/hm_colour_variants \
        --csv ../shared/data/hm_colour_variants/articles.csv --catalog data/catalogs/hm \
        --encoder skill-design --encoder colour-variants --map pca

and prints, for every encoder of the catalog and every clustering option, the clusters' purity
against H&M's own labels (joined on ``article_id``): the share of photos whose cluster's most
common value they share, for ``product_type_name`` (the catalog's category),
``garment_group_name`` and ``graphical_appearance_name`` (solid, stripe, ...). Purity rises with
the number of clusters, so the whole-catalog clustering also runs with as many clusters as the
default made. ``label truth`` is how true a cluster's label is: the share of the
cluster that its least true part (the category, or a title word) holds for, photo-weighted
over clusters; ``old labels`` picks title words by lift alone, as the labels did before
(``min_word_share=0``).

Options: ``whole catalog`` (``within=None``: one k-means over every design) and ``within
category`` (``within="category"``), with k clusters shared among the categories or the
automatic count per category (the default). Clusters drawn by attribute are not measured
here (``docs/attributes.md`` measures the attributes themselves).

Any labelled catalog works with ``--labels`` (a CSV), ``--id-col`` (its column of item ids) and
``--columns`` (the columns to measure purity against), e.g. the demo's print and fit::

    python benchmarks/cluster_purity.py --catalog data/demo/catalog --n-clusters 30 \
        --labels data/demo/photos/catalog.csv --id-col id --columns kind print fit length

Usage:
    python benchmarks/cluster_purity.py --catalog data/catalogs/hm [--n-clusters N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skill.analysis.clusters import (  # noqa: E402
    ClusterConfig,
    _distinctive,
    _singular,
    _words,
    auto_cluster_count,
    cluster_designs,
)
from skill.catalog.designs import design_keys  # noqa: E402
from skill.paths import PROJECT_DIR  # noqa: E402

ARTICLES = PROJECT_DIR.parent / "shared" / "data" / "hm_colour_variants" / "articles.csv"
COLUMNS = ("product_type_name", "garment_group_name", "graphical_appearance_name")


def purity(labels: np.ndarray, truth: pd.Series) -> float:
    """Share of photos in their cluster's most common ``truth`` value."""
    table = pd.crosstab(labels, truth.to_numpy())
    return float(table.max(axis=1).sum() / table.to_numpy().sum())


def label_truth(result, items: pd.DataFrame, config: ClusterConfig) -> float:
    """Photo-weighted mean over clusters of the share its label's least true part holds for.

    The parts are the cluster's most common category and the title words
    :func:`skill.analysis.clusters._distinctive` picks under ``config`` (a word holds for a
    design whose title has it).
    """
    designs = design_keys(items)
    titles = items["title"].astype(str).to_numpy()
    first = pd.DataFrame({"design": designs, "title": titles, "cluster": result.labels})
    first = first.drop_duplicates("design")
    colour_words = set().union(*(_words(c) for c in items["color"].astype(str).unique()))
    docs = [_words(t) - colour_words for t in first["title"]]
    overall = Counter(w for doc in docs for w in doc)
    total, weighted = 0, 0.0
    for cluster in range(int(result.labels.max()) + 1):
        mask = result.labels == cluster
        categories = items["category"].astype(str)[mask]
        top = categories.value_counts()
        parts = [top.iloc[0] / mask.sum()]
        said = {_singular(w) for w in _words(top.index[0])}
        in_cluster = [
            {w for w in doc if _singular(w) not in said}
            for doc, c in zip(docs, first["cluster"], strict=True)
            if c == cluster
        ]
        words = _distinctive(
            in_cluster, overall, len(docs), config.title_words, config.min_word_share
        )
        parts += [share for _, share in words]
        weighted += min(parts) * mask.sum()
        total += mask.sum()
    return weighted / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=ARTICLES, help="CSV of known labels")
    parser.add_argument("--id-col", default="article_id", help="its column of item ids")
    parser.add_argument("--columns", nargs="+", default=list(COLUMNS), help="purity against")
    parser.add_argument("--n-clusters", type=int, help="default: about sqrt(designs / 2)")
    args = parser.parse_args()

    from skill.catalog.store import open_catalog

    catalog = open_catalog(args.catalog)
    items = catalog.items
    labels = pd.read_csv(args.labels, dtype=str, keep_default_na=False)
    truth = labels.set_index(args.id_col).loc[items["item_id"], args.columns]
    truth = truth.reset_index(drop=True)
    designs = len(set(design_keys(items)))
    k = args.n_clusters or auto_cluster_count(designs)
    print(
        f"{os.cpu_count()} cores, load {' '.join(f'{v:.1f}' for v in os.getloadavg())}; "
        f"catalog {args.catalog}: {len(items):,} photos, {designs:,} designs, "
        f"{items['category'].nunique()} categories; k = {k}"
    )
    header = "encoder | clustering | clusters | " + " | ".join(args.columns)
    print(f"{header} | label truth | old labels | seconds")
    for encoder in catalog.encoders:
        embeddings = catalog.embeddings(encoder)
        rows = [
            (f"whole catalog, k = {k}", ClusterConfig(n_clusters=k, within=None)),
            (f"within category, k = {k} shared", ClusterConfig(n_clusters=k)),
            ("within category, automatic (default)", ClusterConfig()),
        ]
        done = []
        for name, config in rows:
            start = time.perf_counter()
            done.append((name, config, cluster_designs(embeddings, items, config), start))
            done[-1] = (*done[-1][:3], time.perf_counter() - start)
        made = len(done[-1][2].table)  # as many clusters as the default makes
        config = ClusterConfig(n_clusters=made, within=None)
        start = time.perf_counter()
        result = cluster_designs(embeddings, items, config)
        done.append((f"whole catalog, k = {made}", config, result, time.perf_counter() - start))
        for name, config, result, took in done:
            purities = " | ".join(f"{purity(result.labels, truth[c]):.3f}" for c in args.columns)
            old = dataclasses.replace(config, min_word_share=0.0)
            print(
                f"{encoder} | {name} | {len(result.table)} | {purities} | "
                f"{label_truth(result, items, config):.3f} | "
                f"{label_truth(result, items, old):.3f} | {took:.1f}"
            )


if __name__ == "__main__":
    main()
