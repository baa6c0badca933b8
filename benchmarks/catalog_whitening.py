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

from skill.encoders.whitening import fit_whitening  # noqa: E402
from skill.evaluation.metrics import colour_variant_retrieval  # noqa: E402

WEIGHTS = (0.25, 0.5, 0.75)


def catalog_whitening(embeddings: np.ndarray, weight: float) -> np.ndarray:
    """The embeddings re-whitened with their own covariance shrunk by ``weight`` (in (0, 1];
    1: plain PCA whitening) towards a multiple of the identity, unit norm.

    ``weight * C + (1 - weight) * p * I`` has ``C``'s axes, each variance ``v`` becoming
    ``weight * (v + p * (1 - weight) / weight)``: :func:`skill.encoders.whitening.fit_whitening`
    with that added variance as its ``eps`` (the common factor goes with the unit norm).
    """
    if not 0 < weight <= 1:
        raise ValueError(f"weight must be in (0, 1], got {weight}")
    units = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    prior = float(units.astype(np.float64).var(axis=0).mean())  # trace(C) / d
    whitening = fit_whitening(units, eps=max(prior * (1 - weight) / weight, 1e-12 * prior))
    whitened = whitening.apply(units)
    return whitened / np.linalg.norm(whitened, axis=1, keepdims=True)


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
