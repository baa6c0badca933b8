"""Search at catalog scale: index kinds against exact search, on synthetic clustered vectors.

For each catalog size prints, per index kind, the build time, memory per product, recall@10
against exact search and single-query latency (p50/p95), beside exact search (``flat``) as
the baseline. Then the one-photo query end to end (decode + embed + search) at each size:
the chosen index with the ONNX encoder against exact search with the eager PyTorch encoder,
and the product path: ONNX embed + ``search_catalog`` (grouped by design, k=12) over an
in-memory catalog of those vectors (designs of 3 colours).

Vectors are a Gaussian mixture on the unit sphere (``--clusters`` centres, each point a
centre plus noise of about the same norm), so neighbours are not trivially separable; the
queries are fresh draws from the same mixture. They are stored as float16 (as a compact
catalog would keep them on disk) and scored in float32.

    nice -n 10 python benchmarks/bench_search.py --sizes 10000,100000,1000000
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import HM_IMAGES, describe_machine  # noqa: E402

from skill.catalog.index import IndexConfig, build_index, choose_kind, rerank, search  # noqa: E402
from skill.catalog.store import Catalog  # noqa: E402
from skill.search import SearchConfig, search_catalog  # noqa: E402

K = 10


def make_vectors(n: int, d: int, clusters: int, seed: int, noise: float = 1.0) -> np.ndarray:
    """Unit vectors from a Gaussian mixture, float16. Shape (n, d)."""
    centres = np.random.default_rng(12345).standard_normal((clusters, d), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    out = np.empty((n, d), np.float16)
    for start in range(0, n, 50_000):
        stop = min(n, start + 50_000)
        x = rng.standard_normal((stop - start, d), dtype=np.float32) * (noise / np.sqrt(d))
        x += centres[rng.integers(0, clusters, stop - start)]
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[start:stop] = x
    return out


def chunks(xb: np.ndarray, size: int = 100_000):
    for start in range(0, len(xb), size):
        yield start, np.asarray(xb[start : start + size], np.float32)


def exact_top_k(xq: np.ndarray, xb: np.ndarray, k: int = K) -> np.ndarray:
    """Ground truth ids, shape (m, k), by brute force in chunks."""
    best_d = np.full((len(xq), 0), -np.inf, np.float32)
    best_i = np.zeros((len(xq), 0), np.int64)
    for start, x in chunks(xb):
        scores = xq @ x.T
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_d = np.hstack([best_d, np.take_along_axis(scores, part, 1)])
        best_i = np.hstack([best_i, part + start])
        keep = np.argsort(-best_d, axis=1)[:, :k]
        best_d, best_i = np.take_along_axis(best_d, keep, 1), np.take_along_axis(best_i, keep, 1)
    return best_i


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth, strict=True)]))


def index_bytes(index, d: int) -> int:
    """Resident size of the index's vectors, ids and centroids."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        return index.ntotal * (index.code_size + 8) + index.nlist * d * 4
    return index.ntotal * d * 4


def build(xb: np.ndarray, config: IndexConfig):
    """Builds like ``build_index`` but fills in float32 chunks (xb stays float16 in memory)."""
    kind = choose_kind(len(xb), config)
    if kind in ("flat", "hnsw"):
        import faiss

        index = (
            faiss.IndexFlatIP(xb.shape[1])
            if kind == "flat"
            else faiss.IndexHNSWFlat(xb.shape[1], config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        )
    else:
        nlist = config.nlist or max(1, int(np.sqrt(len(xb))))
        train = min(len(xb), max(50 * nlist, 256 * 39) if kind == "ivf-pq" else 50 * nlist)
        sample = np.sort(np.random.default_rng(0).choice(len(xb), train, replace=False))
        config = dataclasses.replace(config, kind=kind, nlist=nlist, train_size=train)
        index = build_index(np.asarray(xb[sample], np.float32), config)
        index.reset()  # keep the trained quantizers, drop the training rows
    for _, x in chunks(xb):
        index.add(x)
    return index


def time_queries(fn, xq: np.ndarray) -> tuple[np.ndarray, float, float]:
    ids, times = [], []
    for q in xq:
        start = time.perf_counter()
        ids.append(fn(q[None]))
        times.append(time.perf_counter() - start)
    ms = np.asarray(times) * 1000
    return np.vstack(ids), float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def bench_size(n, args, xq, photo_queries, encoders, tmp):
    d = args.dim
    print(f"\n== {n:,} rows x {d} dims ({args.clusters} clusters) ==")
    start = time.perf_counter()
    xb = make_vectors(n, d, args.clusters, seed=1)
    print(f"data generated in {time.perf_counter() - start:.1f} s")
    truth = exact_top_k(xq, xb)
    disk = np.lib.format.open_memmap(Path(tmp) / f"xb{n}.npy", "w+", np.float16, xb.shape)
    disk[:] = xb
    disk.flush()
    disk = np.load(Path(tmp) / f"xb{n}.npy", mmap_mode="r")

    kinds = ["flat", "ivf", "ivf-fp16", "ivf-pq"] if n <= args.flat_max else ["ivf-fp16", "ivf-pq"]
    if args.kinds:
        kinds = [k for k in kinds if k in args.kinds.split(",")]
    if n >= 1_000_000 and args.with_flat_1m:
        kinds.insert(0, "flat")
    auto = choose_kind(n, IndexConfig(large_kind=args.large_kind))
    print(f"auto chooses: {auto} (exact below {IndexConfig().exact_threshold:,} rows)")
    header = (
        f"{'index':<24}{'build s':>9}{'B/product':>11}{'recall@10':>11}{'p50 ms':>9}{'p95 ms':>9}"
    )
    print(header)
    chosen, flat_query = None, None
    for kind in kinds:
        config = IndexConfig(kind=kind, nprobe=args.nprobe, large_kind=args.large_kind)
        start = time.perf_counter()
        index = build(xb, config)
        built = time.perf_counter() - start
        if kind == "ivf-pq":

            def query(q, index=index):
                return rerank(q, search(index, q, args.rerank)[1], disk, K)[1]

            label = f"ivf-pq + rerank {args.rerank}"
            extra = 2 * d  # the float16 row on disk read for re-ranking
        else:

            def query(q, index=index):
                return search(index, q, K)[1]

            label = kind
            extra = 0
        ids, p50, p95 = time_queries(query, xq)
        per = index_bytes(index, d) / n
        mem = f"{per:,.0f}" + (f"+{extra}d" if extra else "")
        print(
            f"{label:<24}{built:>9.1f}{mem:>11}{recall_at_k(ids, truth):>11.3f}"
            f"{p50:>9.2f}{p95:>9.2f}"
        )
        if kind == "flat":
            flat_query = query
        if kind == auto or (auto == "flat" and kind == "flat"):
            chosen = (kind, query, index)
        if kind.startswith("ivf") and kind == args.sweep_kind and n == max(args.sizes):
            for nprobe in (8, 16, 32, 64, 128):
                index.nprobe = min(nprobe, index.nlist)
                ids, p50, p95 = time_queries(query, xq)
                print(
                    f"  {kind} nprobe {nprobe:<4}{'':>20}{recall_at_k(ids, truth):>11.3f}"
                    f"{p50:>9.2f}{p95:>9.2f}"
                )
            index.nprobe = min(args.nprobe, index.nlist)
    if chosen is None:
        chosen = (kinds[0], query, index)
    if photo_queries and encoders:
        from skill.encoders.embedding import prepare

        baseline = flat_query
        rows = [(f"onnx embed + {chosen[0]}", encoders["onnx"], chosen[1])]
        if baseline is not None:
            rows.append(("torch embed + flat (baseline)", encoders["torch"], baseline))
        catalog = Catalog.from_arrays(synthetic_items(n), {"e": xb}, {"e": chosen[2]})
        _ = catalog.designs  # built once, when a catalog is first searched (the app caches it)

        def product(q, catalog=catalog):
            return search_catalog(catalog, "e", q, SearchConfig(k=12))

        rows.append((f"onnx embed + search_catalog, {chosen[0]}", encoders["onnx"], product))
        print(f"one photo end to end (decode + embed + search), {len(photo_queries)} photos:")
        for label, encoder, query in rows:
            times = []
            for path in photo_queries:
                begin = time.perf_counter()
                x = prepare(path, encoder)[None]
                q = encoder(x).numpy()
                query(q)
                times.append((time.perf_counter() - begin) * 1000)
            print(
                f"  {label:<36} p50 {np.percentile(times, 50):7.1f} ms"
                f"  p95 {np.percentile(times, 95):7.1f} ms"
            )


def synthetic_items(n: int) -> pd.DataFrame:
    """An item table of ``n`` rows: designs of 3 colours each (the product path groups them)."""
    colours = np.array(["Black", "White", "Red"])
    return pd.DataFrame(
        {
            "item_id": np.arange(n).astype(str),
            "design_id": (np.arange(n) // 3).astype(str),
            "color": colours[np.arange(n) % 3],
            "color_name": np.char.lower(colours[np.arange(n) % 3]),
            "category": "Top",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--nprobe", type=int, default=IndexConfig().nprobe)
    parser.add_argument("--rerank", type=int, default=100, help="ivf-pq short list re-ranked")
    parser.add_argument("--large-kind", default="ivf-fp16", help="what auto picks above 100k")
    parser.add_argument("--sweep-kind", default="ivf-fp16", help="nprobe sweep at largest size")
    parser.add_argument("--flat-max", type=int, default=100_000, help="largest size for flat")
    parser.add_argument("--with-flat-1m", action="store_true", help="also flat at 1M (5 GB)")
    parser.add_argument("--photos", type=int, default=30, help="photos for the end-to-end query")
    parser.add_argument("--encoder", default="imagenet-lite0")
    parser.add_argument("--kinds", help="only these index kinds, e.g. ivf-fp16 (comma-separated)")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]

    import torch

    print(f"machine: {describe_machine()}")
    xq = make_vectors(args.queries, args.dim, args.clusters, seed=2).astype(np.float32)
    photos, encoders = [], {}
    if args.photos and HM_IMAGES.is_dir():
        from skill.encoders.onnx import create_onnx_encoder
        from skill.encoders.registry import create_encoder

        photos = sorted(HM_IMAGES.rglob("*.jpg"))[-args.photos :]
        torch_encoder = create_encoder(args.encoder).eval()
        if torch_encoder.embedding_dim == args.dim:

            def eager(x):
                with torch.inference_mode():
                    return torch_encoder(x)

            eager.preprocess = torch_encoder.preprocess
            encoders = {"torch": eager, "onnx": create_onnx_encoder(torch_encoder)}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            bench_size(n, args, xq, photos, encoders, tmp)


if __name__ == "__main__":
    main()
