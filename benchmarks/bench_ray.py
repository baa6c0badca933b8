"""The Ray engine's throughput per worker on a local Ray, beside the local engine.

Builds the same catalog of ``--images`` shared photos with ``build_catalog`` (the local engine,
both cores) and with ``build_catalog_ray`` on a local Ray of ``--cpus`` CPUs with each worker
count of ``--workers`` (one CPU and one ONNX Runtime thread per actor), storing the shipped
attribute model's predictions unless ``--attributes none``. Prints each build's
wall time and, for Ray, the embedding stage's steady rate once every actor has finished a
batch (``photos_per_second`` in the manifest's ``engine``), per worker: the figure a cluster
projection multiplies (``docs/scale.md``).

    python benchmarks/bench_ray.py --images 1000 --workers 1,2
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import describe_machine, find_images, link_photos, make_large_photos

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.projection import MapConfig
from skill.catalog.ray_build import RayConfig, build_catalog_ray, start_ray
from skill.catalog.store import open_catalog


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--encoder", default="imagenet-lite0")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument("--runtime", default="onnx", choices=["onnx", "onnx-int8"])
    parser.add_argument("--block-size", type=int, default=64)
    parser.add_argument("--large", action="store_true", help="the photos upscaled to 2000x3000")
    parser.add_argument(
        "--attributes", default="auto", choices=["auto", "none"],
        help="store the shipped attribute model's predictions (a second network per photo)",
    )  # fmt: skip
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    print(f"command: python {' '.join(sys.argv)}")
    attributes = None if args.attributes == "none" else "auto"
    config = CatalogConfig(map=MapConfig(method="pca"), runtime=args.runtime, attributes=attributes)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths, what = find_images(args.images, tmp)
        if args.large:
            paths = make_large_photos(paths)
            what += ", upscaled to 2000x3000"
        folder = tmp / "photos"
        link_photos(paths, folder)
        print(
            f"images: {what}; encoder {args.encoder}, runtime {args.runtime}, "
            f"attributes {args.attributes}"
        )
        build_catalog(folder, tmp / "warm", encoders=[args.encoder], config=config)  # export
        shutil.rmtree(tmp / "warm")
        start = time.perf_counter()
        build_catalog(folder, tmp / "local", encoders=[args.encoder], config=config)
        local = time.perf_counter() - start
        rows.append(f"{'local engine (both cores)':<34}{local:>9.1f}{len(paths) / local:>10.1f}")
        print(f"local done ({_load()})", flush=True)
        start = time.perf_counter()
        start_ray(num_cpus=args.cpus, include_dashboard=False)
        rows.append(f"{'ray.init (local, once)':<34}{time.perf_counter() - start:>9.1f}")
        for workers in (int(w) for w in args.workers.split(",")):
            catalog = tmp / f"ray-{workers}"
            start = time.perf_counter()
            build_catalog_ray(
                folder,
                catalog,
                encoders=[args.encoder],
                config=config,
                ray_config=RayConfig(workers=workers, block_size=args.block_size),
            )
            seconds = time.perf_counter() - start
            engine = open_catalog(catalog).manifest["engine"]
            steady = engine.get("photos_per_second", float("nan"))
            rows.append(
                f"{f'ray engine, {workers} worker(s)':<34}{seconds:>9.1f}{len(paths) / seconds:>10.1f}"
                f"{engine['embed_seconds']:>10.1f}{steady:>10.1f}{steady / workers:>12.1f}"
            )
            print(f"ray {workers} done ({_load()})", flush=True)
    print()
    print(f"{'build':<34}{'wall s':>9}{'photos/s':>10}{'embed s':>10}{'steady/s':>10}"
          f"{'per worker':>12}")  # fmt: skip
    print("\n".join(rows))
    print("\nembed s: the Ray stage's wall time (actor start-up included); steady/s: its rate "
          f"once every actor has finished a batch. End: {_load()}")  # fmt: skip


if __name__ == "__main__":
    main()
