"""Memory of building a catalog's index at 10M vectors, as the Ray engine's driver builds it.

The vectors (synthetic, 1280-d, a Gaussian mixture as in ``bench_search.py``) are generated
block by block on demand and never held whole (51 GB as float32), exactly as
:func:`skill.catalog.index.build_index` reads a catalog's memory-mapped embeddings: IVF trains
on a seeded sample of rows, then rows are added ``chunk_rows`` at a time. Prints the build time
and the peak resident memory of the process (``ru_maxrss``), with the index's own size, and
recall@10 against exact search on a few hundred fresh queries.

IVF-fp16 keeps 2,560 B per vector (25.6 GB at 10M): a size is skipped where that cannot fit in
this machine's available memory, and its figure printed as computed, not measured.

Encoding 10M vectors takes hours on 2 busy cores (the coarse assignment alone is 81 TFLOP at
nlist 3,162), so ``--fill-codes`` measures the filled index at full size another way: the
IVF-PQ is trained as the build trains it (nlist sqrt(n), 50 x nlist sample rows), then filled
with ``n`` random codes through faiss's ``add_sa_codes`` in chunks: the memory the index holds
at 10M rows (and a search process too), and its query latency; recall is meaningless there.
The build's transient memory (training, chunk encoding) does not grow with ``n``: measure it
with real encoding at a size that runs (``--sizes 1000000``).

    python benchmarks/bench_index_memory.py --sizes 1000000
    python benchmarks/bench_index_memory.py --sizes 10000000 --fill-codes
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import describe_machine
from bench_search import index_bytes, recall_at_k

from skill.catalog.index import IndexConfig, build_index, search

BLOCK = 8_192  # generated rows per block: small, so the generator adds little memory


class SyntheticVectors:
    """A (n, d) float32 array-like generated per block of rows: rows and slices on demand."""

    def __init__(self, n: int, d: int, clusters: int, seed: int = 0) -> None:
        self.shape, self.dtype, self.seed = (n, d), np.dtype(np.float32), seed
        centres = np.random.default_rng(12345).standard_normal((clusters, d), dtype=np.float32)
        self.centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)

    def __len__(self) -> int:
        return self.shape[0]

    def block(self, b: int) -> np.ndarray:
        n, d = self.shape
        rows = min(BLOCK, n - b * BLOCK)
        rng = np.random.default_rng([self.seed, b])
        x = rng.standard_normal((rows, d), dtype=np.float32) / np.sqrt(d)
        x += self.centres[rng.integers(0, len(self.centres), rows)]
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, _ = key.indices(self.shape[0])
            parts = [
                self.block(b)[max(start - b * BLOCK, 0) : stop - b * BLOCK]
                for b in range(start // BLOCK, (stop - 1) // BLOCK + 1)
            ]
            return np.concatenate(parts) if parts else np.zeros((0, self.shape[1]), np.float32)
        rows = np.asarray(key)
        out = np.empty((len(rows), self.shape[1]), np.float32)
        for b in np.unique(rows // BLOCK):
            chosen = np.flatnonzero(rows // BLOCK == b)
            out[chosen] = self.block(int(b))[rows[chosen] - b * BLOCK]
        return out


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def available_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def exact(xq: np.ndarray, xb: SyntheticVectors, k: int = 10) -> np.ndarray:
    best_d = np.full((len(xq), 0), -np.inf, np.float32)
    best_i = np.zeros((len(xq), 0), np.int64)
    for b in range(-(-len(xb) // BLOCK)):
        scores = xq @ xb.block(b).T
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_d = np.hstack([best_d, np.take_along_axis(scores, part, 1)])
        best_i = np.hstack([best_i, part + b * BLOCK])
        keep = np.argsort(-best_d, axis=1)[:, :k]
        best_d, best_i = np.take_along_axis(best_d, keep, 1), np.take_along_axis(best_i, keep, 1)
    return best_i


def fill_codes(n: int, dim: int, chunk: int = 1_000_000) -> str:
    """Trains an IVF-PQ as a build of ``n`` rows would, fills it with ``n`` random codes."""
    from skill.catalog.index import _train_ivf

    nlist = max(1, int(np.sqrt(n)))
    config = IndexConfig(kind="ivf-pq", nlist=nlist, nprobe=32)
    start = time.perf_counter()
    index = _train_ivf(SyntheticVectors(50 * nlist, dim, nlist), "ivf-pq", config)
    trained = time.perf_counter() - start
    after_training = peak_gb()
    rng = np.random.default_rng(0)
    list_bytes = index.sa_code_size() - index.code_size
    start = time.perf_counter()
    for first in range(0, n, chunk):
        rows = min(chunk, n - first)
        lists = rng.integers(0, nlist, rows, dtype=np.int64)
        codes = np.empty((rows, index.sa_code_size()), np.uint8)
        for b in range(list_bytes):  # faiss stores the list number little-endian first
            codes[:, b] = (lists >> (8 * b)) & 0xFF
        codes[:, list_bytes:] = rng.integers(0, 256, (rows, index.code_size), dtype=np.uint8)
        index.add_sa_codes(codes)
    filled = time.perf_counter() - start
    xq = SyntheticVectors(200, dim, nlist, seed=1)[0:200]
    times = []
    for q in xq:
        t = time.perf_counter()
        search(index, q[None], 10)
        times.append((time.perf_counter() - t) * 1000)
    size = index_bytes(index, dim) / 2**30
    return (
        f"{n:>12,} ivf-pq (filled with codes) nlist {nlist}: trained in {trained:.0f} s "
        f"(peak RSS {after_training:.2f} GB), filled in {filled:.0f} s; index {size:.2f} GB, "
        f"peak RSS {peak_gb():.2f} GB; query p50 {np.percentile(times, 50):.1f} ms, "
        f"p95 {np.percentile(times, 95):.1f} ms (nprobe 32, one query); load {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000000")
    parser.add_argument("--kinds", default="ivf-pq,ivf-fp16")
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--queries", type=int, default=200, help="0: skip recall")
    parser.add_argument("--fill-codes", action="store_true", help="IVF-PQ filled with codes")
    args = parser.parse_args()
    print(f"machine: {describe_machine()}, {available_gb():.1f} GB available")
    print(f"command: python {' '.join(sys.argv)}")
    print(f"before building: peak RSS {peak_gb():.2f} GB (Python, numpy, faiss)")
    rows = []
    if args.fill_codes:
        for n in (int(s) for s in args.sizes.split(",")):
            rows.append(fill_codes(n, args.dim))
            print(rows[-1], flush=True)
        print("\n".join(["", *rows]))
        return
    for n in (int(s) for s in args.sizes.split(",")):
        for kind in args.kinds.split(","):
            clusters = max(1, int(np.sqrt(n)))
            xb = SyntheticVectors(n, args.dim, clusters)
            needed = n * args.dim * 2 / 2**30 if kind == "ivf-fp16" else 0
            if needed > 0.8 * available_gb():
                rows.append(f"{n:>12,} {kind:<10} skipped: needs {needed:.1f} GB for the codes "
                            f"alone (2 B x {args.dim} per vector), {available_gb():.1f} GB available")  # fmt: skip
                continue
            start = time.perf_counter()
            index = build_index(xb, IndexConfig(kind=kind, nprobe=32))
            seconds = time.perf_counter() - start
            recall = float("nan")
            if args.queries:
                xq = SyntheticVectors(args.queries, args.dim, clusters, seed=1)[0 : args.queries]
                recall = recall_at_k(search(index, xq, 10)[1], exact(xq, xb))
            size = index_bytes(index, args.dim) / 2**30
            rows.append(f"{n:>12,} {kind:<10} nlist {index.nlist:>5} build {seconds:>7.0f} s  "
                        f"index {size:>6.2f} GB  peak RSS {peak_gb():>6.2f} GB  "
                        f"recall@10 {recall:.3f} (nprobe 32)  load {os.getloadavg()[0]:.1f}")  # fmt: skip
            print(rows[-1], flush=True)
            del index
    print()
    print("\n".join(rows))
    print("(peak RSS is the process's maximum so far: each row includes the rows above it)")


if __name__ == "__main__":
    main()
