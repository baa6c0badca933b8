"""Nearest-neighbour index over unit-norm embeddings (inner product = cosine), with faiss.

Glossary (faiss's names, used in this module only): ``xb`` database vectors, shape (n, d);
``xq`` query vectors, shape (m, d); ``k`` neighbours wanted; ``D`` scores, shape (m, k);
``I`` row ids, shape (m, k), -1 where fewer than k exist.

The index type follows the catalog's size (``kind="auto"``): exact search below
``exact_threshold`` rows, where it is both fast and perfect; an inverted-file index (IVF,
``nlist`` cells, ``nprobe`` visited per query) above it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

INDEX_KINDS = ("auto", "flat", "ivf", "hnsw")


@dataclass(frozen=True)
class IndexConfig:
    """How to index a catalog.

    Attributes:
        kind: ``auto``, ``flat`` (exact), ``ivf`` or ``hnsw``.
        exact_threshold: ``auto`` uses exact search below this many rows. Typical 50k-200k.
        nlist: IVF cells; 0 picks about 4 * sqrt(n). Typical 1k-16k at 1M rows.
        nprobe: IVF cells visited per query: higher is slower and more exact. Typical 8-128.
        hnsw_m: HNSW neighbours per node. Typical 16-64.
    """

    kind: str = "auto"
    exact_threshold: int = 100_000
    nlist: int = 0
    nprobe: int = 32
    hnsw_m: int = 32

    def __post_init__(self) -> None:
        if self.kind not in INDEX_KINDS:
            raise ValueError(f"kind must be one of {INDEX_KINDS}, got {self.kind!r}")


def build_index(xb: np.ndarray, config: IndexConfig = IndexConfig()):
    """Builds a faiss index over ``xb`` (shape (n, d), unit norm) for inner-product search."""
    import faiss

    xb = np.ascontiguousarray(xb, dtype=np.float32)
    n, d = xb.shape
    kind = config.kind
    if kind == "auto":
        kind = "flat" if n < config.exact_threshold else "ivf"
    if kind == "flat" or n == 0:
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    else:
        nlist = config.nlist or max(1, int(4 * np.sqrt(n)))
        nlist = min(nlist, max(1, n // 39))  # faiss wants >= 39 training points per cell
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(xb)
        index.nprobe = min(config.nprobe, nlist)
    if n:
        index.add(xb)
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


def save_index(index, path: str | os.PathLike) -> None:
    """Writes an index in faiss's own binary format (no pickle)."""
    import faiss

    faiss.write_index(index, str(Path(path)))


def load_index(path: str | os.PathLike):
    """Reads an index written by :func:`save_index`."""
    import faiss

    return faiss.read_index(str(Path(path)))
