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

from skill.catalog.index import search
from skill.catalog.store import Catalog

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
        attributes: Keep only photos that have every one of these attributes as a fact
            (probability above the label's calibrated threshold; labels of
            :attr:`skill.catalog.store.Catalog.attributes`). Empty keeps all.
    """

    k: int = 12
    combine: str = "mean"
    min_score: float = 0.0
    same_design_threshold: float = 0.85
    categories: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()

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
    if len(items) == 0:
        return SearchResult(None, [], pd.DataFrame())
    if config.combine == "mean":
        queries = combine_queries(queries)[None]
    designs = catalog.designs
    excluded = np.asarray(exclude_rows, dtype=np.int64)
    allowed = attribute_mask(catalog, config.attributes)
    rows, scores = _candidates(catalog, encoder, queries, config, excluded, allowed)
    keep = _filter_mask(items, config, rows, allowed) & (scores >= config.min_score)
    keep &= ~np.isin(rows, excluded)
    # Candidates come best first: their designs, in order of first appearance.
    wanted = list(pd.unique(designs.codes[rows[keep]])[: config.k + 1])
    own = designs.code(query_design) if query_design is not None else None
    if own is not None and own not in wanted:
        wanted.insert(0, own)
    # Every photo of a chosen design is scored exactly, found by the index or not.
    groups = _groups(catalog, encoder, designs, wanted, queries, config, excluded, allowed)
    same = None
    if query_design is not None:
        same = next((g for g in groups if g.design_id == str(query_design)), None)
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


def attribute_mask(catalog: Catalog, labels: tuple[str, ...]) -> np.ndarray | None:
    """Rows that have every one of ``labels`` as a fact; ``None`` when no label is asked for.

    Raises:
        ValueError: The catalog has no attributes, or not one of the labels (the message
            lists those it has).
    """
    if not labels:
        return None
    stored = catalog.attributes
    if stored is None:
        raise ValueError("this catalog has no attributes; rebuild it to filter by attribute")
    columns = [stored.column(label) for label in labels]
    return stored.facts()[:, columns].all(axis=1)


def _candidates(
    catalog, encoder, queries, config, excluded, allowed=None
) -> tuple[np.ndarray, np.ndarray]:
    """Rows worth grouping, best first, with their exact cosine scores.

    Exact index: every row is scored, filtered rows drop out, and the best ``shortlist`` rows
    are kept (a partial sort, not a sort of the whole catalog). Approximate index: the index's
    ``shortlist`` candidates, re-scored exactly.
    """
    embeddings = catalog.embeddings(encoder)
    index = catalog.index(encoder)
    n = len(embeddings)
    shortlist = min(n, max(200, config.k * 20))
    if index.__class__.__name__ == "IndexFlatIP":
        scores = (queries @ embeddings.T).max(axis=0)
        if config.categories or config.colors or len(excluded) or allowed is not None:
            scores[~_filter_mask(catalog.items, config, None, allowed)] = -np.inf
            scores[excluded] = -np.inf
        rows = (
            np.argpartition(-scores, shortlist - 1)[:shortlist] if shortlist < n else np.arange(n)
        )
        scores = scores[rows]
    else:
        _, ids = search(index, queries, shortlist)
        rows = np.unique(ids[ids >= 0])
        scores = (queries @ np.asarray(embeddings[rows], np.float32).T).max(axis=0)
    order = np.lexsort((rows, -scores))  # best first; ties by row, deterministic
    return rows[order], scores[order]


def _filter_mask(items: pd.DataFrame, config: SearchConfig, rows=None, allowed=None) -> np.ndarray:
    """Which of ``rows`` (default: all) pass the category, colour and attribute filters."""
    if rows is None:
        rows = np.arange(len(items))
    keep = np.ones(len(rows), dtype=bool) if allowed is None else allowed[rows].copy()
    if not (config.categories or config.colors):
        return keep
    subset = items.iloc[rows]
    if config.categories:
        keep &= subset["category"].isin(config.categories).to_numpy()
    if config.colors:
        wanted = {c.lower() for c in config.colors}
        keep &= (
            subset["color"].str.lower().isin(wanted) | subset["color_name"].str.lower().isin(wanted)
        ).to_numpy()
    return keep


def _groups(
    catalog, encoder, designs, codes, queries, config, excluded, allowed=None
) -> list[DesignGroup]:
    """The groups of designs ``codes`` (in that order), each photo scored exactly, best first.

    Item rows of all groups are taken from the item table in one go: building a small frame
    per group costs more than the search itself.
    """
    embeddings = catalog.embeddings(encoder)
    picked = []
    for code in codes:
        rows = designs.rows(code)
        scores = (queries @ np.asarray(embeddings[rows], np.float32).T).max(axis=0)
        keep = _filter_mask(catalog.items, config, rows, allowed) & (scores >= config.min_score)
        keep &= ~np.isin(rows, excluded)
        rows, scores = rows[keep], scores[keep]
        order = np.lexsort((rows, -scores))
        if len(rows):
            picked.append((code, rows[order], scores[order]))
    if not picked:
        return []
    all_rows = np.concatenate([rows for _, rows, _ in picked])
    all_scores = np.concatenate([scores for _, _, scores in picked])
    table = catalog.items.iloc[all_rows].reset_index(drop=True)
    table["row"] = all_rows
    table["score"] = all_scores.round(4)
    groups, start = [], 0
    for code, rows, scores in picked:
        hits = table.iloc[start : start + len(rows)].reset_index(drop=True)
        groups.append(DesignGroup(designs.name(code), float(scores[0]), hits))
        start += len(rows)
    return groups
