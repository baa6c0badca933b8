"""What storing attributes costs a catalog build: photos/s with and without them.

Builds the same photos (the first ``--photos`` validation photos of the shared H&M set) into
fresh catalogs, with one encoder each, with attributes off and on:

- a design encoder that shares the attribute model's trunk (``skill-design``: grey Lite0 at
  224 px, ImageNet stem and first five stages): the attributes ride on its trunk pass, and only
  the attribute model's tail (ImageNet stages 5-6, head convolution, head) is extra;
- ``imagenet-lite0`` (colour input; likewise the 288-px ``colour-variants``): nothing to share,
  so the attribute model runs its whole network beside the encoder's, on the same decode.

Every configuration is built once on a few photos first (ONNX export, caches warm), then timed.
The whole ``build_catalog`` is timed (decode, colours, embedding, attributes, index, PCA map).

Usage:
    python benchmarks/bench_attributes.py --photos 300
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default=str(ROOT.parent / "shared/data/hm_colour_variants"))
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--encoders", nargs="+", default=["skill-design", "imagenet-lite0"])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    import torch

    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig
    from skill.catalog.store import open_catalog
    from skill.evaluation.splits import read_split

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch threads {torch.get_num_threads()}, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    _, val_items = read_split(args.images)
    work = Path(tempfile.mkdtemp(prefix="bench-attributes-"))
    try:
        csv = work / "photos.csv"
        val_items.head(args.photos).rename(columns={"item_id": "article_id"}).to_csv(
            csv, index=False
        )
        warm = work / "warm.csv"
        val_items.tail(8).rename(columns={"item_id": "article_id"}).to_csv(warm, index=False)
        rows = []
        for encoder in args.encoders:
            for attributes in (None, "auto"):
                config = CatalogConfig(map=MapConfig(method="pca"), attributes=attributes)
                build_catalog(args.images, work / "warm", warm, encoders=[encoder], config=config)
                shutil.rmtree(work / "warm")
                seconds = []
                for repeat in range(args.repeats):
                    target = work / f"cat-{encoder}-{attributes}-{repeat}"
                    start = time.perf_counter()
                    summary = build_catalog(
                        args.images, target, csv, encoders=[encoder], config=config
                    )
                    seconds.append(time.perf_counter() - start)
                    stored = open_catalog(target).attributes
                    shutil.rmtree(target)
                best = min(seconds)
                how = "off"
                if stored is not None:
                    shared = stored.info.get("shared_with")
                    how = (
                        f"on, sharing {shared}'s trunk"
                        if shared
                        else "on, its own network on the same decode"
                    )
                rows.append((encoder, how, summary.items, best, summary.items / best,
                             stored.info.get("seconds") if stored else None))  # fmt: skip
                print(f"  {encoder:16s} attributes {how:40s} {summary.items / best:6.2f} photos/s",
                      flush=True)  # fmt: skip
        print(
            "\n| encoder | attributes | photos | build seconds | photos/s | of which attributes (s) |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        for encoder, how, items, best, rate, attribute_seconds in rows:
            extra = f"{attribute_seconds:.1f}" if attribute_seconds is not None else "-"
            print(f"| {encoder} | {how} | {items} | {best:.1f} | {rate:.2f} | {extra} |")
        print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
