"""Would whitening each catalog's own embeddings help? A lever measured, not built.

Every shipped design encoder whitens its features with statistics of the H&M training photos.
A retailer's catalog (another shop, on-model shots, the demo's renders) varies along other
directions. This script re-whitens a catalog's stored embeddings with their own covariance,
shrunk towards the shipped space's::

    M = w * C_catalog + (1 - w) * (trace(C_catalog) / d) * I
    x -> (x - mean) @ M^(-1/2)

and prints hit@1 and mAP of the colour-variant protocol (``skill.evaluation.metrics``) as stored
and after, for each weight ``w``. No labels are used to fit; the photos being searched are the
fit's photos (a query's own photo among them: transductive, like a catalog refit at index time).
The shipped same-design rule reads scores in the shipped space, so a catalog whitening would
also need its rule refitted; this script measures retrieval only.

``--split tune`` keeps the H&M tune designs (held-out training designs) of a catalog built from
the shared H&M folder, so a weight can be chosen there and not on the photos it is judged on.

Usage:
    python benchmarks/catalog_whitening.py --catalog data/demo/catalog
    python benchmarks/catalog_whitening.py --catalog data/catalogs/hm --split tune \
        --encoders skill-design colour-variants
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skill.evaluation.metrics import colour_variant_retrieval  # noqa: E402

WEIGHTS = (0.25, 0.5, 0.75)


def catalog_whitening(embeddings: np.ndarray, weight: float) -> np.ndarray:
    """The embeddings re-whitened with their own covariance shrunk by ``weight`` towards a
    multiple of the identity (0: centring alone; 1: full PCA whitening), unit norm."""
    x = np.asarray(embeddings, np.float64)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    centred = x - x.mean(axis=0)
    covariance = centred.T @ centred / len(x)
    prior = np.trace(covariance) / len(covariance)
    variances, axes = np.linalg.eigh(weight * covariance + (1 - weight) * prior * np.eye(len(x[0])))
    whitened = centred @ (axes / np.sqrt(np.maximum(variances, 1e-12 * prior)))
    return (whitened / np.linalg.norm(whitened, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True, help="a catalog with design and colour")
    parser.add_argument("--encoders", nargs="+", help="default: every encoder of the catalog")
    parser.add_argument("--split", choices=["all", "tune"], default="all")
    parser.add_argument("--images", default="../shared/data/hm_colour_variants",
                        help="the H&M folder, for --split tune")  # fmt: skip
    parser.add_argument("--weights", default=",".join(map(str, WEIGHTS)))
    args = parser.parse_args()

    from skill.catalog.store import open_catalog

    catalog = open_catalog(args.catalog)
    items = catalog.items
    rows = np.arange(len(items))
    if args.split == "tune":
        from skill.evaluation.splits import read_run_split

        _, tune = read_run_split(args.images, tune_fraction=0.2, evaluate_on="tune")
        wanted = set(tune["image_path"])
        rows = np.flatnonzero(items["image_path"].isin(wanted).to_numpy())
        if len(rows) != len(wanted):
            raise SystemExit(f"{len(rows)} of the {len(wanted)} tune photos are in the catalog")
    items = items.iloc[rows]
    weights = [float(w) for w in args.weights.split(",")]
    print(
        f"{os.cpu_count()} cores; catalog {args.catalog}, {args.split}: {len(items):,} photos, "
        f"{items['design_id'].nunique():,} designs"
    )
    print("encoder | as stored (hit@1 / mAP) | " + " | ".join(f"w = {w}" for w in weights))
    for encoder in args.encoders or catalog.encoders:
        embeddings = np.asarray(catalog.embeddings(encoder), np.float32)[rows]
        cells = []
        for vectors in [embeddings] + [catalog_whitening(embeddings, w) for w in weights]:
            figures = colour_variant_retrieval(vectors, items["design_id"], items["color"])
            cells.append(f"{figures['hit@1']:.3f} / {figures['mAP']:.3f}")
        print(f"{encoder} | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
