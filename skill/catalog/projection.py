"""2-D maps of a catalog: UMAP at index time, and query photos placed without refitting.

UMAP compiles with numba on its first fit in a process (about a minute on 2 cores), so maps
are computed when a catalog is built and stored with it; the app only reads them. A new query
is placed at the similarity-weighted mean position of its nearest catalog items, which is how
UMAP itself initialises new points, and needs neither numba nor the fitted model.

A UMAP fit reports its progress in two parts: the neighbour graph (numba compilation on the
first fit in a process, then the nearest-neighbour search), which cannot be counted and reports
elapsed seconds against :func:`umap_graph_estimate`, then the layout, counted in epochs.

At scale: UMAP runs on the embeddings' first ``pca_dims`` principal components (its
nearest-neighbour search dominates the fit and scales with the dimension; on unit vectors the
euclidean distance there tracks the cosine), and catalogs above ``deterministic_max_rows``
rows are fitted without a fixed seed, because a seed makes UMAP single-threaded.

Example:
    >>> coords = fit_map(embeddings)                      # at index time
    >>> xy = place_on_map(query, embeddings, coords)      # at query time, instant
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from skill.progress import SECONDS, Progress, run_reporting, silent

MAP_METHODS = ("umap", "pca")
_UMAP_FITTED = False  # numba compiles UMAP's kernels on the first fit in a process


@dataclass(frozen=True)
class MapConfig:
    """Settings of the catalog map.

    Attributes:
        method: ``umap``, or ``pca`` (instant, for tests and tiny catalogs).
        n_neighbors: UMAP neighbourhood: small keeps local detail, large the global layout.
            Typical 5-50.
        min_dist: How tightly UMAP packs similar points. Typical 0.0-0.5.
        seed: Random seed of catalogs up to ``deterministic_max_rows`` rows (UMAP is then
            deterministic but single-threaded).
        deterministic_max_rows: Larger catalogs are fitted with every core and no seed.
            Typical 10k-50k.
        pca_dims: Principal components UMAP sees (0: the raw embeddings, cosine). Typical
            32-100.
        fit_rows: Larger catalogs are fitted on a seeded sample of this many rows; the other
            rows are placed on that map from their nearest sampled rows (:func:`place_on_map`,
            through an IVF index over the sample), so memory and time stay bounded at
            millions of rows. 0 fits every row. Typical 100k-500k.
    """

    method: str = "umap"
    n_neighbors: int = 15
    min_dist: float = 0.1
    seed: int = 0
    deterministic_max_rows: int = 20_000
    pca_dims: int = 50
    fit_rows: int = 200_000

    def __post_init__(self) -> None:
        if self.method not in MAP_METHODS:
            raise ValueError(f"method must be one of {MAP_METHODS}, got {self.method!r}")


def fit_map(
    embeddings: np.ndarray,
    config: MapConfig = MapConfig(),
    progress: Progress | None = None,
    stage: str = "mapping",
) -> np.ndarray:
    """Projects embeddings to 2-D.

    Args:
        embeddings: Shape (n, dim).
        config: Method and its knobs. Catalogs smaller than ``n_neighbors + 2`` use PCA.
        progress: Reports ``"<stage>: neighbour graph"`` in :data:`~skill.progress.SECONDS`
            against an estimate, then ``"<stage>: layout"`` in epochs (UMAP), or ``stage`` in
            steps (PCA).
        stage: The stage name the reports start with, e.g. ``"mapping skill-design"``.

    Returns:
        Shape (n, 2), float32, centred, roughly unit scale.
    """
    report = progress or silent
    if config.fit_rows and len(embeddings) > config.fit_rows:
        return _fit_on_sample(embeddings, config, report, stage)
    x = np.asarray(embeddings, dtype=np.float32)
    if len(x) == 0:
        return np.zeros((0, 2), np.float32)
    if config.method == "umap" and len(x) >= config.n_neighbors + 2:
        coords = _fit_umap(x, config, report, stage)
    else:
        report(stage, 0, 1, "steps")
        coords = principal_components(x, 2) if len(x) > 1 else np.zeros((len(x), 2))
        report(stage, 1, 1, "steps")
    coords = coords - coords.mean(axis=0)
    scale = float(np.abs(coords).max()) or 1.0
    return (coords / scale).astype(np.float32)


def umap_graph_estimate(rows: int, compiled: bool) -> float:
    """Rough seconds UMAP spends before its layout starts, on 2 busy CPU cores.

    Measured with 1024-d embeddings reduced to 50 dims: about 25 s to import UMAP and compile
    its numba kernels on the first fit in a process (``compiled`` false), and about 3 ms per
    row for the neighbour graph (10k rows: 30 s). Only a progress estimate: the report shows the seconds really elapsed.
    """
    return (0.0 if compiled else 25.0) + 0.003 * rows


def _fit_umap(x: np.ndarray, config: MapConfig, report: Progress, stage: str) -> np.ndarray:
    epochs = _EpochCounter()
    estimate = umap_graph_estimate(len(x), _UMAP_FITTED)

    def tick(elapsed: float) -> None:
        if epochs.total:
            report(f"{stage}: layout", epochs.done, epochs.total, "epochs")
        else:
            seconds = int(elapsed)
            report(f"{stage}: neighbour graph", seconds, max(round(estimate), seconds + 1), SECONDS)

    def work() -> np.ndarray:
        global _UMAP_FITTED
        import umap

        reduce = 0 < config.pca_dims < x.shape[1]
        seeded = len(x) <= config.deterministic_max_rows
        reducer = umap.UMAP(
            n_neighbors=config.n_neighbors,
            min_dist=config.min_dist,
            metric="euclidean" if reduce else "cosine",
            random_state=config.seed if seeded else None,
            n_jobs=1 if seeded else -1,  # a seed makes UMAP single-threaded anyway
            # UMAP counts its layout epochs with tqdm only; this writes "done/total" to `epochs`.
            tqdm_kwds={"disable": False, "file": epochs, "bar_format": "{n}/{total}"},
        )
        coords = reducer.fit_transform(principal_components(x, config.pca_dims) if reduce else x)
        _UMAP_FITTED = True
        return coords

    tick(0.0)
    coords = run_reporting(work, tick)
    if epochs.total:
        report(f"{stage}: layout", epochs.total, epochs.total, "epochs")
    return coords


class _EpochCounter:
    """A file-like sink for UMAP's tqdm bar drawn as ``"done/total"``: keeps the last count."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def write(self, text: str) -> None:
        found = re.findall(r"(\d+)/(\d+)", text)
        if found:
            self.done, self.total = (int(v) for v in found[-1])

    def flush(self) -> None:
        pass


def _fit_on_sample(embeddings, config: MapConfig, report, stage: str, chunk_rows: int = 65_536):
    """:func:`fit_map` of a seeded sample; the other rows placed on it in chunks."""
    from dataclasses import replace

    from skill.catalog.index import IndexConfig, build_index

    n = len(embeddings)
    rows = np.sort(np.random.default_rng(config.seed).choice(n, config.fit_rows, replace=False))
    sample = np.ascontiguousarray(embeddings[rows], dtype=np.float32)
    fitted = fit_map(sample, replace(config, fit_rows=0), report, stage)
    index = build_index(sample, IndexConfig(kind="ivf", nprobe=8))
    coords = np.empty((n, 2), np.float32)
    for start in range(0, n, chunk_rows):
        chunk = np.asarray(embeddings[start : start + chunk_rows], dtype=np.float32)
        coords[start : start + len(chunk)] = place_on_map(chunk, sample, fitted, index=index)
    coords[rows] = fitted
    return coords


def place_on_map(
    queries: np.ndarray, embeddings: np.ndarray, coords: np.ndarray, k: int = 8, index=None
) -> np.ndarray:
    """Positions new points on an existing map from their ``k`` nearest catalog items.

    Args:
        queries: Shape (m, dim), unit norm.
        embeddings: Shape (n, dim), unit norm: the catalog.
        coords: Shape (n, 2): the catalog's map.
        k: Neighbours averaged. Typical 5-15.
        index: The catalog's faiss index (inner product): neighbours come from it instead of
            scoring every row, which a large catalog should not do per query.

    Returns:
        Shape (m, 2).
    """
    queries = np.atleast_2d(np.asarray(queries, np.float32))
    k = min(k, len(embeddings))
    if index is not None:
        from skill.catalog.index import search

        weights, nearest = search(index, queries, k)  # inner products of unit vectors
        weights = np.where(nearest >= 0, weights, -np.inf)  # -1: fewer than k found
        nearest = np.where(nearest >= 0, nearest, 0)
    else:
        scores = queries @ np.asarray(embeddings, np.float32).T
        nearest = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        weights = np.take_along_axis(scores, nearest, axis=1)
    weights = np.exp((weights - weights.max(axis=1, keepdims=True)) / 0.05)
    weights /= weights.sum(axis=1, keepdims=True)
    return (weights[..., None] * coords[nearest]).sum(axis=1).astype(np.float32)


def principal_components(x: np.ndarray, dims: int) -> np.ndarray:
    """``x`` centred and projected on its ``dims`` leading principal axes (covariance eigh).

    Costs one (dim x dim) covariance, about a second per 100k rows of 1280-d here, instead of
    an SVD of the whole matrix.
    """
    centred = x - x.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    coords = centred @ vectors[:, ::-1][:, :dims]
    if coords.shape[1] < dims:  # fewer input dimensions than asked: zero columns
        coords = np.pad(coords, ((0, 0), (0, dims - coords.shape[1])))
    return coords.astype(np.float32)
