"""Few-shot labelling accuracy on the shared H&M photos, product type as the label.

Reads a catalog built once with (about 10 minutes of CPU on an idle 2-core machine)::

    nice -n 10 python -m skill index --images ../shared/data/hm_colour_variants \
        --csv ../shared/data/hm_colour_variants/articles.csv --image-col image_path \
        --id-col article_id --design-col product_code --color-col colour_group_name \
        --category-col product_type_name --title-col prod_name --catalog data/catalogs/hm --map pca

and prints, per encoder of the catalog, accuracy at 1, 5 and 10 tagged photos per product type
(prototypes and k-NN, mean and std over random draws), plus design-cluster purity with and
without design averaging. ``--partial`` instead reads whatever the catalog's embedding cache
holds so far (an interrupted or running build), and says how many photos that is.

Usage:
    python benchmarks/few_shot_hm.py [--catalog data/catalogs/hm] [--partial] [--trials 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skill.analysis.clusters import ClusterConfig, cluster_designs  # noqa: E402
from skill.analysis.fewshot import evaluate_few_shot  # noqa: E402
from skill.paths import DEFAULT_TRAINING_DATA, project_path

DATA = project_path(DEFAULT_TRAINING_DATA)


def catalog_embeddings(path: Path) -> dict[str, tuple[np.ndarray, pd.DataFrame]]:
    """Encoder -> (embeddings, items) of a built catalog."""
    from skill.catalog.store import open_catalog

    catalog = open_catalog(path)
    return {name: (catalog.embeddings(name), catalog.items) for name in catalog.encoders}


def cached_embeddings(path: Path) -> dict[str, tuple[np.ndarray, pd.DataFrame]]:
    """Encoder -> (embeddings, items) of the photos a catalog's embedding cache holds so far."""
    articles = pd.read_csv(DATA / "articles.csv", dtype=str, keep_default_na=False)
    articles = articles.rename(
        columns={
            "article_id": "item_id",
            "product_code": "design_id",
            "colour_group_name": "color",
            "product_type_name": "category",
            "prod_name": "title",
        }
    ).set_index("image_path", drop=False)
    found = {}
    for folder in sorted((path / "cache").glob("*-*")):
        vectors: dict[str, np.ndarray] = {}
        for part in sorted(folder.glob("part-*.npz")):  # the cache's own on-disk format
            with np.load(part, allow_pickle=False) as data:
                vectors.update(zip(data["keys"].tolist(), data["vectors"], strict=True))
        paths = {key: key.split("|")[0] for key in vectors}
        keys = [key for key in vectors if paths[key] in articles.index]
        if keys:
            items = articles.loc[[paths[key] for key in keys]].reset_index(drop=True)
            found[folder.name.rsplit("-", 1)[0]] = (np.stack([vectors[k] for k in keys]), items)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=Path, default=Path("data/catalogs/hm"))
    parser.add_argument("--partial", action="store_true", help="read the embedding cache")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--shots", type=int, nargs="+", default=[1, 5, 10])
    args = parser.parse_args()
    sources = cached_embeddings(args.catalog) if args.partial else catalog_embeddings(args.catalog)
    if not sources:
        raise SystemExit(f"no embeddings under {args.catalog}; build the catalog first")
    for encoder, (embeddings, items) in sources.items():
        start = time.perf_counter()
        types = items["category"]
        print(
            f"\n== {encoder}: {len(items)} photos, {items['design_id'].nunique()} designs, "
            f"{types.nunique()} product types"
            + (" (partial: the photos embedded so far)" if args.partial else "")
        )
        table = evaluate_few_shot(embeddings, types, args.shots, trials=args.trials, seed=0)
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        for by_design in (False, True):
            result = cluster_designs(embeddings, items, ClusterConfig(by_design=by_design))
            major = pd.crosstab(result.labels, types.to_numpy()).max(axis=1).sum() / len(items)
            print(
                f"clusters ({'design means' if by_design else 'single photos'}): "
                f"{len(result.table)} clusters, design purity {result.design_purity:.3f}, "
                f"product-type majority share {major:.3f}"
            )
        print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
