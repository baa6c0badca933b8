"""Design search: nearest catalog photos for one or more query photos, grouped by design.

Several photos of one product (front, back, detail) are combined into one query by averaging
their embeddings (``combine="mean"``), or searched separately keeping each item's best score
(``combine="max"``).

Results are grouped by design where design ids are known (otherwise each photo is its own
design), and split in two:

- **this design in other colours**: the query's own design. For a catalog item that is its
  design id; for an uploaded photo it is the best-scoring design if its score reaches
  ``same_design_threshold`` (a match confident enough to call it the same product);
- **similar designs**: every other design, best first.

A group lists *all* its colour variants in the catalog with their scores, not only the ones
that made the top k, so a merchandiser sees the whole colour range of a matched design.

Example:
    >>> result = search_catalog(catalog, "skill-design", encoder_query, SearchConfig(k=20))
    >>> result.same_design.design_id, [g.design_id for g in result.similar]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from skill.catalog import Catalog
from skill.index import search

COMBINE_MODES = ("mean", "max")


@dataclass(frozen=True)
class SearchConfig:
    """Settings of one search.

    Attributes:
        k: Number of designs (groups) wanted. Typical 5-50.
        combine: ``mean`` or ``max`` over several query photos.
        min_score: Hide photos scoring below this cosine. Typical 0.0-0.8.
        same_design_threshold: Best score at which an uploaded photo's top design is called
            the same design. Typical 0.75-0.95, per encoder (``eval`` calibrates one).
        categories: Keep only these categories (empty keeps all).
        colors: Keep only these colour names, matched against the CSV colour and the
            dominant colour (empty keeps all).
    """

    k: int = 12
    combine: str = "mean"
    min_score: float = 0.0
    same_design_threshold: float = 0.85
    categories: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.combine not in COMBINE_MODES:
            raise ValueError(f"combine must be one of {COMBINE_MODES}, got {self.combine!r}")
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")


@dataclass
class DesignGroup:
    """One design among the results.

    Attributes:
        design_id: The design (the item id when designs are unknown).
        score: Best score among its photos.
        hits: Its photos, best first: columns of the item table plus ``row`` and ``score``.
    """

    design_id: str
    score: float
    hits: pd.DataFrame


@dataclass
class SearchResult:
    """Grouped results of one search; ``hits`` is every returned photo, flat, for export."""

    same_design: DesignGroup | None
    similar: list[DesignGroup]
    hits: pd.DataFrame = field(default_factory=pd.DataFrame)


def combine_queries(vectors: np.ndarray) -> np.ndarray:
    """Mean of several unit embeddings, renormalised. Shape (dim,)."""
    mean = np.asarray(vectors, np.float32).mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def search_catalog(
    catalog: Catalog,
    encoder: str,
    queries: np.ndarray,
    config: SearchConfig = SearchConfig(),
    query_design: str | None = None,
    exclude_rows: tuple[int, ...] = (),
) -> SearchResult:
    """Searches a catalog.

    Args:
        catalog: The catalog.
        encoder: Which of its encoders the query vectors come from.
        queries: Shape (m, dim) or (dim,), unit norm.
        config: Search settings.
        query_design: The query's own design id, when the query is a catalog item.
        exclude_rows: Catalog rows to leave out (the query item itself).

    Returns:
        A :class:`SearchResult`.
    """
    queries = np.atleast_2d(np.asarray(queries, np.float32))
    items = catalog.items
    n = len(items)
    if n == 0:
        return SearchResult(None, [], pd.DataFrame())
    if config.combine == "mean":
        queries = combine_queries(queries)[None]
    scores = _scores(catalog, encoder, queries, config, n)
    keep = _filter_mask(items, config)
    for row in exclude_rows:
        keep[row] = False
    keep &= scores >= config.min_score
    designs = _design_keys(items)
    order = [row for row in np.argsort(-scores, kind="stable") if keep[row]]
    wanted: list[str] = []
    for row in order:
        if designs[row] not in wanted:
            wanted.append(designs[row])
        if len(wanted) >= config.k + 1:
            break
    if query_design is not None and query_design not in wanted and (designs == query_design).any():
        wanted.insert(0, query_design)
    # Approximate indexes score only their candidates: score the chosen designs' photos fully.
    unscored = np.isin(designs, wanted) & ~np.isfinite(scores)
    if unscored.any():
        embeddings = catalog.embeddings(encoder)
        scores[unscored] = (queries @ embeddings[unscored].T).max(axis=0)
    groups = [_group(items, designs, scores, keep, design) for design in wanted]
    groups = [g for g in groups if len(g.hits)]
    same = None
    if query_design is not None:
        same = next((g for g in groups if g.design_id == query_design), None)
    elif groups and groups[0].score >= config.same_design_threshold:
        same = groups[0]
    similar = [g for g in groups if g is not same][: config.k]
    flat = [
        g.hits.assign(group="same design" if g is same else "similar design")
        for g in ([same] if same else []) + similar
    ]
    return SearchResult(
        same, similar, pd.concat(flat, ignore_index=True) if flat else pd.DataFrame()
    )


def _scores(catalog, encoder, queries, config, n) -> np.ndarray:
    """Cosine score of every catalog row (exact), or of the index's candidates (approximate)."""
    embeddings = catalog.embeddings(encoder)
    index = catalog.index(encoder)
    exact = index.__class__.__name__ == "IndexFlatIP"
    if exact:
        return (queries @ embeddings.T).max(axis=0)
    # Approximate index: score its candidates exactly, everything else counts as unrelated.
    scores = np.full(n, -np.inf, np.float32)
    _, ids = search(index, queries, min(n, max(200, config.k * 20)))
    candidates = np.unique(ids[ids >= 0])
    scores[candidates] = (queries @ embeddings[candidates].T).max(axis=0)
    return scores


def _filter_mask(items: pd.DataFrame, config: SearchConfig) -> np.ndarray:
    keep = np.ones(len(items), dtype=bool)
    if config.categories:
        keep &= items["category"].isin(config.categories).to_numpy()
    if config.colors:
        wanted = {c.lower() for c in config.colors}
        keep &= (
            items["color"].str.lower().isin(wanted) | items["color_name"].str.lower().isin(wanted)
        ).to_numpy()
    return keep


def _design_keys(items: pd.DataFrame) -> np.ndarray:
    designs = items["design_id"].astype(str).to_numpy()
    return np.where(designs == "", "item:" + items["item_id"].astype(str).to_numpy(), designs)


def _group(items, designs, scores, keep, design) -> DesignGroup:
    rows = np.flatnonzero((designs == design) & keep & np.isfinite(scores))
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    hits = items.iloc[rows].assign(row=rows, score=scores[rows].round(4)).reset_index(drop=True)
    best = float(scores[rows[0]]) if len(rows) else float("-inf")
    return DesignGroup(design_id=str(design), score=best, hits=hits)
