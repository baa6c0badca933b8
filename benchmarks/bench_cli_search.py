"""Wall time of ``python -m skill search``: one photo, and a folder of photos in one call.

Each run is a fresh process, as a user's command is; runs of two checkouts alternate, so load
from other work falls on both alike. The first run of a checkout exports the encoder to ONNX
if it never was, so read the later runs. The machine load is printed beside every figure.

Usage:
    python benchmarks/bench_cli_search.py --catalog data/demo/catalog --photo P.jpg \
        [--folder DIR] [--runs 5] [--baseline /path/to/an/older/checkout]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(project: Path, *args: str) -> float:
    """Seconds one ``python -m skill search ...`` takes, run from ``project``."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "skill", "search", *args],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - start


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--photo", type=Path, required=True)
    parser.add_argument("--folder", type=Path, help="photos searched one by one in one call")
    parser.add_argument("--encoder", default="skill-design")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="an older checkout to time beside this one")
    args = parser.parse_args()
    common = ["--catalog", str(args.catalog.resolve()), "--encoder", args.encoder]
    projects = {"this checkout": ROOT}
    if args.baseline:
        projects["baseline"] = args.baseline.resolve()
    for run in range(args.runs):
        times = {name: timed(p, str(args.photo.resolve()), *common) for name, p in projects.items()}
        shown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in times.items())
        print(f"one photo, run {run + 1}: {shown} ({load()})", flush=True)
    if args.folder:
        photos = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".png"))
        seconds = timed(ROOT, str(args.folder.resolve()), *common)
        print(f"{len(photos)} photos, one call on their folder: {seconds:.1f} s ({load()})")
        if args.baseline:
            start = time.perf_counter()
            for photo in photos:
                timed(projects["baseline"], str(photo), *common)
            seconds = time.perf_counter() - start
            print(f"{len(photos)} photos, one call each (baseline): {seconds:.1f} s ({load()})")


if __name__ == "__main__":
    main()
