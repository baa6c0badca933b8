"""Memory the Ray engine's driver holds for a catalog's item table, at a size that fits here.

:func:`skill.catalog.ray_build.build_catalog_ray` keeps on the driver what the local engine
keeps: the item table (the columns of :data:`skill.catalog.source.ITEM_COLUMNS`, the source,
the photo's path, fingerprint and colour), the work table of the photos to embed, and per
encoder the set of fingerprints its cache holds and the fingerprint -> row map the embeddings
are assembled by. This script builds those structures for ``--rows`` synthetic rows with
catalog-like strings (``women/dresses/0123456789.jpg``), prints the process's resident memory
before and after, and the per-row figure a 10M-row catalog multiplies. Python strings make
this linear in rows: the 10M figure is an extrapolation, not a measurement.

    python benchmarks/bench_driver_memory.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import describe_machine  # noqa: E402


def rss_gb() -> float:
    """Resident memory now, from ``/proc/self/statm``."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    print(f"command: python {' '.join(sys.argv)}")
    n = args.rows
    rng = np.random.default_rng(0)
    before = rss_gb()
    ids = [f"{i:010d}" for i in rng.permutation(n)]
    rel = [f"women/dresses/{i}.jpg" for i in ids]
    items = pd.DataFrame(
        {
            "item_id": ids,
            "image_path": rel,
            "design_id": [i[:7] for i in ids],
            "color": rng.choice(["Black", "Light Beige", "Dark Blue", "White"], n),
            "category": rng.choice(["Dress", "Trousers", "Sweater", "T-shirt"], n),
            "title": rng.choice(["Strap dress", "Slim jeans", "Knit jumper", "Basic tee"], n),
            "date": "2026-03-01",
            "source": "s1",
            "path": [f"/mnt/photos/{r}" for r in rel],
            "fingerprint": [
                f"{r}|{200_000 + i % 99_991}|1764547200{i:09d}" for i, r in enumerate(rel)
            ],
            "color_hex": "#1a2b3c",
            "color_name": "navy",
        }
    )
    keys = items["fingerprint"].tolist()
    work = pd.DataFrame({"row": np.arange(n), "fingerprint": keys, "need0": True})
    stored = set(keys)  # one encoder's cache, read back by fingerprint
    row_of = {key: i for i, key in enumerate(keys)}  # the assembly of its embeddings
    after = rss_gb()
    used = after - before
    print(f"{n:,} rows: items {items.shape}, work {work.shape}, 1 encoder's key set and row map")
    print(f"resident {before:.2f} GB before, {after:.2f} GB after: {used:.2f} GB for {n:,} rows")
    print(f"= {used * 2**30 / n:.0f} B per row; x 10,000,000 rows = {used * 1e7 / n:.1f} GB")
    print(f"(extrapolated linearly; each further encoder adds its key set and row map) load "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    del stored, row_of


if __name__ == "__main__":
    main()
