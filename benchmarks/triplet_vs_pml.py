"""Our triplet losses against pytorch-metric-learning's, on the unit tests' batches.

Prints, per margin and seed, our batch-hard and semi-hard losses next to PML's
``TripletMarginLoss`` with ``BatchHardMiner`` / ``TripletMarginMiner("semihard")`` (default and
mean reducers), then the time of one batch-hard loss on a 96 x 256 P x K batch (one thread, the median of five
rounds of 100). PML is not a
dependency of the project: it is read from ``--pml`` (an unpacked wheel) or the environment.

Usage:
    pip download pytorch-metric-learning --no-deps -d /tmp/pml
    unzip -q /tmp/pml/pytorch_metric_learning-*.whl -d /tmp/pml/x
    python benchmarks/triplet_vs_pml.py --pml /tmp/pml/x
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere


def _batch(seed: int, n_classes: int = 4, per_class: int = 3, dim: int = 5):
    import torch

    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_classes * per_class, dim, generator=generator)
    return x, torch.arange(n_classes).repeat_interleave(per_class)


def _milliseconds(function, rounds: int = 5, repeats: int = 100) -> float:
    function()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            function()
        times.append((time.perf_counter() - start) / repeats * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pml", help="folder holding the pytorch_metric_learning package")
    args = parser.parse_args()
    if args.pml:
        sys.path.insert(0, args.pml)

    import torch
    from pytorch_metric_learning import distances, losses, miners, reducers

    from skill.train.losses.triplet_loss import TripletLoss

    unit = distances.LpDistance(normalize_embeddings=True)
    reducer = {"default": reducers.AvgNonZeroReducer(), "mean": reducers.MeanReducer()}
    print("margin seed mining      ours      pml(default) pml(mean)")
    for margin in (0.2, 0.3, 0.5):
        for seed in range(3):
            x, y = _batch(seed)
            for mining, miner in (
                ("batch-hard", miners.BatchHardMiner(distance=unit)),
                ("semi-hard", miners.TripletMarginMiner(margin, "semihard", distance=unit)),
            ):
                ours = TripletLoss(margin, mining)(x, y).item()
                theirs = [
                    losses.TripletMarginLoss(margin, distance=unit, reducer=r)(x, y, miner(x, y))
                    for r in reducer.values()
                ]
                print(
                    f"{margin:6.1f} {seed:4d} {mining:10s} {ours:.7f} "
                    + " ".join(f"{t.item():.7f}   " for t in theirs)
                )
    torch.set_num_threads(1)
    x, y = torch.randn(96, 256), torch.arange(32).repeat_interleave(3)
    ours = TripletLoss(0.2, "batch-hard")
    miner = miners.BatchHardMiner(distance=unit)
    theirs = losses.TripletMarginLoss(0.2, distance=unit, reducer=reducer["mean"])
    print(
        f"batch-hard, 96 x 256: ours {_milliseconds(lambda: ours(x, y)):.2f} ms, "
        f"pml {_milliseconds(lambda: theirs(x, y, miner(x, y))):.2f} ms"
    )


if __name__ == "__main__":
    main()
