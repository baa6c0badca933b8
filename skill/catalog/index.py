"""Nearest-neighbour index over unit-norm embeddings (inner product = cosine), with faiss.

Glossary (faiss's names, used in this module only): ``xb`` database vectors, shape (n, d);
``xq`` query vectors, shape (m, d); ``k`` neighbours wanted; ``D`` scores, shape (m, k);
``I`` row ids, shape (m, k), -1 where fewer than k exist.

The index type follows the catalog's size (``kind="auto"``): exact search below
``exact_threshold`` rows, where it is both fast and perfect; an inverted-file index (IVF,
``nlist`` cells, ``nprobe`` visited per query) above it, of kind ``large_kind``.

Memory per product at d = 1280 (lite0): ``flat``/``ivf``/``hnsw`` hold float32 vectors
(5,120 B, plus 2 x ``hnsw_m`` x 4 B of links for HNSW); ``ivf-fp16`` float16 (2,560 B, same
recall as ``ivf`` to 3 decimals); ``ivf-pq`` ``pq_bytes`` codes (64 B), whose approximate
scores :func:`rerank` corrects from the embeddings kept on disk (``np.load(mmap_mode="r")``).
At 1M rows IVF trains and fills in a minute or two on 2 cores; HNSW takes over 10 minutes.
Figures: ``benchmarks/README.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

INDEX_KINDS = ("auto", "flat", "ivf", "ivf-fp16", "ivf-pq", "hnsw")


@dataclass(frozen=True)
class IndexConfig:
    """How to index a catalog.

    Attributes:
        kind: ``auto``, ``flat`` (exact), ``ivf``, ``ivf-fp16``, ``ivf-pq`` or ``hnsw``.
        exact_threshold: ``auto`` uses exact search below this many rows. Typical 50k-200k.
        large_kind: What ``auto`` builds at or above ``exact_threshold``: ``ivf``, ``ivf-fp16``
            (half the memory) or ``ivf-pq`` (1/80 of it; re-rank its candidates).
        nlist: IVF cells; 0 picks sqrt(n) (k-means training time grows with nlist squared;
            1,000 cells at 1M rows train in under a minute). Typical 256-16k.
        nprobe: IVF cells visited per query: higher is slower and more exact. Typical 8-128.
        hnsw_m: HNSW neighbours per node. Typical 16-64.
        pq_bytes: Bytes per vector for ``ivf-pq`` (sub-quantizers of 8 bits); must divide the
            dimension. Typical 32-128.
        train_size: Vectors the IVF k-means is trained on; 0 picks 50 * nlist (faiss wants at
            least 39 per cell). Typical 20k-200k.
    """

    kind: str = "auto"
    exact_threshold: int = 100_000
    large_kind: str = "ivf"
    nlist: int = 0
    nprobe: int = 32
    hnsw_m: int = 32
    pq_bytes: int = 64
    train_size: int = 0

    def __post_init__(self) -> None:
        if self.kind not in INDEX_KINDS:
            raise ValueError(f"kind must be one of {INDEX_KINDS}, got {self.kind!r}")
        large = tuple(k for k in INDEX_KINDS if k.startswith("ivf"))
        if self.large_kind not in large:
            raise ValueError(f"large_kind must be one of {large}, got {self.large_kind!r}")


def choose_kind(n: int, config: IndexConfig = IndexConfig()) -> str:
    """The index kind ``build_index`` uses for ``n`` rows (resolves ``auto``)."""
    if config.kind != "auto":
        return config.kind
    return "flat" if n < config.exact_threshold else config.large_kind


def build_index(xb: np.ndarray, config: IndexConfig = IndexConfig(), chunk_rows: int = 8_192):
    """Builds a faiss index over ``xb`` (shape (n, d), unit norm) for inner-product search.

    ``xb`` may be a memory map (``np.load(..., mmap_mode="r")``, any float dtype): IVF kinds
    train on a seeded sample of rows and every kind but HNSW adds rows ``chunk_rows`` at a
    time, so memory stays at the index itself plus one chunk: about ``chunk_rows`` x 64 KB
    for IVF-PQ (faiss encodes a chunk through distance tables of 256 x ``pq_bytes`` floats
    per row) and ``chunk_rows`` x 4 ``d`` bytes otherwise. Chunks give the same index as one
    ``add``. Memory and time at scale: ``docs/scale.md``.
    """
    import faiss

    n, d = xb.shape
    kind = choose_kind(n, config)
    if kind == "flat" or n == 0:
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        chunk_rows = max(n, 1)  # one add: HNSW's graph depends on how rows arrive
    else:
        index = _train_ivf(xb, kind, config)
    for start in range(0, n, chunk_rows):
        index.add(np.ascontiguousarray(xb[start : start + chunk_rows], dtype=np.float32))
    return index


def _train_ivf(xb: np.ndarray, kind: str, config: IndexConfig):
    import faiss

    n, d = xb.shape
    nlist = config.nlist or max(1, int(np.sqrt(n)))
    nlist = min(nlist, max(1, n // 39))  # faiss wants >= 39 training points per cell
    quantizer = faiss.IndexFlatIP(d)
    metric = faiss.METRIC_INNER_PRODUCT
    if kind == "ivf-fp16":
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, d, nlist, faiss.ScalarQuantizer.QT_fp16, metric
        )
    elif kind == "ivf-pq":
        if d % config.pq_bytes:
            raise ValueError(f"pq_bytes ({config.pq_bytes}) must divide the dimension ({d})")
        index = faiss.IndexIVFPQ(quantizer, d, nlist, config.pq_bytes, 8, metric)
    else:
        index = faiss.IndexIVFFlat(quantizer, d, nlist, metric)
    train_size = min(n, config.train_size or 50 * nlist)
    if kind == "ivf-pq":
        train_size = min(n, max(train_size, 256 * 39))  # 256 codewords per sub-quantizer
    sample = np.random.default_rng(0).choice(n, train_size, replace=False)
    index.cp.niter = 10  # faiss default 25 costs 2.5x; recall is checked in bench_search.py
    index.train(np.ascontiguousarray(xb[np.sort(sample)], dtype=np.float32))
    index.nprobe = min(config.nprobe, nlist)
    return index


def search(index, xq: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` neighbours of each query row.

    Returns:
        ``(D, I)``: scores and row ids, shape (m, k) each; ids are -1 past the end.
    """
    xq = np.ascontiguousarray(np.atleast_2d(xq), dtype=np.float32)
    k = max(1, min(int(k), max(1, index.ntotal)))
    D, I = index.search(xq, k)  # noqa: E741 - faiss naming, see module glossary
    return D, I


def rerank(
    xq: np.ndarray,
    I: np.ndarray,  # noqa: E741 - faiss naming
    xb: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Re-scores candidate ids exactly against the stored vectors and keeps the best ``k``.

    Use it over a compact index (``ivf-pq``): ask :func:`search` for a short list (typical
    50-200) and pass the full-precision embeddings, which may be a float16 ``np.memmap``:
    only the candidates' rows are read.

    Args:
        xq: Shape (m, d), the queries.
        I: Shape (m, r), candidate ids from :func:`search`, -1 for none.
        xb: Shape (n, d), the catalog's embeddings (any float dtype, may be memory-mapped).
        k: Neighbours kept.

    Returns:
        ``(D, I)`` of shape (m, k), exact scores best first; ids -1 past the candidates.
    """
    xq = np.atleast_2d(np.asarray(xq, np.float32))
    m, r = I.shape
    k = max(1, min(int(k), r))
    D_out = np.full((m, k), -np.inf, np.float32)
    I_out = np.full((m, k), -1, np.int64)
    for row in range(m):
        ids = I[row][I[row] >= 0]
        if not len(ids):
            continue
        order = np.argsort(ids)  # sorted reads are kinder to a memory map
        scores = np.asarray(xb[ids[order]], np.float32) @ xq[row]
        best = np.argsort(-scores, kind="stable")[:k]
        D_out[row, : len(best)] = scores[best]
        I_out[row, : len(best)] = ids[order][best]
    return D_out, I_out


def save_index(index, path: str | os.PathLike) -> None:
    """Writes an index in faiss's own binary format (no pickle)."""
    import faiss

    faiss.write_index(index, str(Path(path)))


def load_index(path: str | os.PathLike):
    """Reads an index written by :func:`save_index`."""
    import faiss

    return faiss.read_index(str(Path(path)))
