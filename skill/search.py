"""Design search: nearest catalog photos for one or more query photos, grouped by design.

Several photos of one product (front, back, detail) are combined into one query by averaging
their embeddings (``combine="mean"``), or searched separately keeping each item's best score
(``combine="max"``).

Results are grouped by design where design ids are known (otherwise each photo is its own
design), and split in two:

- **this design in other colours**: the query's own design. For a catalog item that is its
  design id. For a new photo it is the best design when the encoder's calibrated same-design
  rule (:mod:`skill.catalog.same_design`, kept in the catalog's manifest) gives it a
  probability at or above the rule's ``accept``; the probability comes with the answer
  (:class:`SameDesignAnswer`). A photo that is itself in the catalog (score
  :data:`DUPLICATE_SCORE` or more) is always its own design. This group lists every colour of
  the design, whatever the filters;
- **similar designs**: every other design, best first, filtered.

A new photo's best match can also be weak: scoring lower than the closest *other* design of
nearly every catalog photo (:data:`WEAK_MATCH_SHARE`). Then the catalog likely holds nothing
like the photo, and :attr:`SearchResult.match_share` says so (see :func:`match_share`).

A group lists *all* its colour variants in the catalog with their scores, not only the ones
that made the top k, so a merchandiser sees the whole colour range of a matched design.

Example:
    >>> result = search_catalog(catalog, "skill-design", encoder_query, SearchConfig(k=20))
    >>> result.same_design.design_id, [g.design_id for g in result.similar]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from skill.catalog.answer_features import MARGIN_RANK, ranking_features
from skill.catalog.designs import DesignTable
from skill.catalog.index import search
from skill.catalog.same_design import SameDesignRule
from skill.catalog.store import Catalog

COMBINE_MODES = ("mean", "max")
DUPLICATE_SCORE = 0.995
"""A new photo scoring this close to a catalog photo is that photo: its design is the answer."""
WEAK_MATCH_SHARE = 0.01
"""A new photo's best match is weak when fewer than this share of catalog photos have a closest
other design scoring below it: it is less alike than 99 % of the catalog's photos are to some
other product. The threshold is a share of the catalog's own scores, so it follows each
encoder's scale (cosines of one encoder run 0.2-0.6, another's 0.6-0.9). Its limit: an encoder
that gives an unrelated photo the same low cosine as a different design cannot tell them apart
(measured with a SkiLL-trained design encoder on H&M photos: noise scores 0.11-0.19, like
their closest other designs), and then no match is called weak. Measured: colour-variants
flags noise and a grey card on a 300- and a 9,388-photo H&M catalog, and none of 60 H&M photos
from outside the 300-photo one."""
REFERENCE_PHOTOS = 500
"""Catalog photos sampled (seeded) for :func:`closest_other_design_scores`: the first search of
a new photo pays for searching them once (a fraction of a second at 50k rows)."""


@dataclass(frozen=True)
class SearchConfig:
    """Settings of one search.

    Attributes:
        k: Number of designs (groups) wanted. Typical 5-50.
        combine: ``mean`` or ``max`` over several query photos.
        min_score: Hide photos of similar designs scoring below this cosine. Typical 0.0-0.8.
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
        score: Best score among its photos, as in ``hits`` (rounded to 4 decimals).
        hits: Its photos, best first: columns of the item table plus ``row`` and ``score``.
    """

    design_id: str
    score: float
    hits: pd.DataFrame


@dataclass(frozen=True)
class SameDesignAnswer:
    """What the same-design rule says of a new photo's best design.

    Attributes:
        design_id: The best design.
        probability: That it is the query's own design, in [0, 1].
        accepted: Whether it is given as the answer (``probability`` reached the rule's
            ``accept``, or the photo is itself in the catalog).
        source: Where the rule comes from (its ``fitted["source"]``), or why there is none.
    """

    design_id: str
    probability: float | None
    accepted: bool
    source: str


@dataclass
class SearchResult:
    """Grouped results of one search; ``hits`` is every returned photo, flat, for export.

    ``answer`` is set for new photos (no ``query_design``): the same-design decision, accepted
    or not. So is ``match_share``: the share of catalog photos whose closest other design
    scores below the photo's best match (:func:`match_share`); ``weak`` when it is below
    :data:`WEAK_MATCH_SHARE`.
    """

    same_design: DesignGroup | None
    similar: list[DesignGroup]
    hits: pd.DataFrame = field(default_factory=pd.DataFrame)
    answer: SameDesignAnswer | None = None
    best_score: float | None = None
    match_share: float | None = None

    @property
    def weak(self) -> bool:
        """The best match of a new photo is weaker than nearly every catalog photo's closest
        other design: the catalog likely holds nothing like it."""
        return self.match_share is not None and self.match_share < WEAK_MATCH_SHARE


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
    rule: SameDesignRule | None = None,
) -> SearchResult:
    """Searches a catalog.

    Args:
        catalog: The catalog.
        encoder: Which of its encoders the query vectors come from.
        queries: Shape (m, dim) or (dim,), unit norm.
        config: Search settings.
        query_design: The query's own design id, when the query is a catalog item.
        exclude_rows: Catalog rows to leave out (the query item itself).
        rule: The same-design rule for a new photo; default: the one the catalog keeps for
            ``encoder`` (:meth:`~skill.catalog.store.Catalog.same_design_rule`).

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
    answer = best = share = None
    if query_design is None:
        unfiltered = (rows, scores) if not _filtered(config) else None
        if unfiltered is None:
            unfiltered = _candidates(catalog, encoder, queries, SearchConfig(), excluded)
        answer = _answer(catalog, encoder, queries, excluded, rule, unfiltered)
        if answer is not None and answer.accepted:
            query_design = answer.design_id
        ranked = unfiltered[1][~np.isin(unfiltered[0], excluded)]
        if len(ranked):
            best = float(ranked[0])
            share = 1.0 if best >= DUPLICATE_SCORE else match_share(catalog, encoder, best)
    keep = _filter_mask(items, config, rows, allowed) & (scores >= config.min_score)
    keep &= ~np.isin(rows, excluded)
    # Candidates come best first: their designs, in order of first appearance.
    own = designs.code(query_design) if query_design is not None else None
    wanted = [c for c in pd.unique(designs.codes[rows[keep]]) if c != own][: config.k]
    # Every photo of a chosen design is scored exactly, found by the index or not; the
    # query's own design shows every colour it has, whatever the filters.
    similar = _groups(catalog, encoder, designs, wanted, queries, config, excluded, allowed)
    same = None
    if own is not None:
        everything = SearchConfig(k=1, combine=config.combine, min_score=-np.inf)
        found = _groups(catalog, encoder, designs, [own], queries, everything, excluded)
        same = found[0] if found else None
    flat = [
        g.hits.assign(group="same design" if g is same else "similar design")
        for g in ([same] if same else []) + similar
    ]
    hits = pd.concat(flat, ignore_index=True) if flat else pd.DataFrame()
    if answer is not None and same is not None and answer.probability is not None:
        hits["same_design_probability"] = np.where(
            hits["group"] == "same design", round(answer.probability, 4), np.nan
        )
    return SearchResult(same, similar, hits, answer, best, share)


def match_share(catalog: Catalog, encoder: str, score: float) -> float:
    """Share of catalog photos whose closest photo of another design scores below ``score``.

    For a new photo's best score, a share near 0 means the photo is less alike to anything in
    the catalog than almost every catalog photo is to some other product
    (:data:`WEAK_MATCH_SHARE`).

    Args:
        catalog: The catalog.
        encoder: One of its encoders.
        score: A cosine, e.g. a new photo's best score.

    Returns:
        A share in [0, 1].
    """
    reference = closest_other_design_scores(catalog, encoder)
    if len(reference) == 0:
        return 1.0
    return float(np.searchsorted(reference, score, side="left") / len(reference))


@lru_cache(maxsize=32)
def closest_other_design_scores(catalog: Catalog, encoder: str) -> np.ndarray:
    """Each sampled catalog photo's score to its closest photo of another design, sorted.

    Up to :data:`REFERENCE_PHOTOS` photos (seeded sample), searched through the catalog's
    index with 64 neighbours (a photo whose 64 neighbours are all its own design keeps the
    64th score). Cached per catalog object and encoder.

    Returns:
        Shape (m,), ascending.
    """
    embeddings = catalog.embeddings(encoder)
    n = len(embeddings)
    codes = catalog.designs.codes
    if n < 2 or len(np.unique(codes)) < 2:
        return np.zeros(0, np.float32)
    rng = np.random.default_rng(0)
    rows = (
        np.sort(rng.choice(n, REFERENCE_PHOTOS, replace=False))
        if n > REFERENCE_PHOTOS
        else np.arange(n)
    )
    scores, neighbours = search(
        catalog.index(encoder), np.asarray(embeddings[rows], np.float32), 64
    )
    other = (neighbours >= 0) & (codes[np.maximum(neighbours, 0)] != codes[rows][:, None])
    first = np.where(other.any(axis=1), other.argmax(axis=1), neighbours.shape[1] - 1)
    return np.sort(scores[np.arange(len(rows)), first]).astype(np.float32)


def _filtered(config: SearchConfig) -> bool:
    return bool(config.categories or config.colors or config.attributes)


def _answer(catalog, encoder, queries, excluded, rule, unfiltered) -> SameDesignAnswer | None:
    """The same-design decision for a new photo, on the unfiltered ranking."""
    if rule is None:
        rule = catalog.same_design_rule(encoder)
    if unfiltered is None:
        unfiltered = _candidates(catalog, encoder, queries, SearchConfig(), excluded)
    rows, scores = unfiltered
    keep = ~np.isin(rows, excluded)
    rows, scores = rows[keep], scores[keep]
    if len(rows) == 0:
        return None
    designs: DesignTable = catalog.designs
    codes = designs.codes[rows]
    first = pd.unique(codes)[:MARGIN_RANK]
    best = np.array([scores[codes == c][0] for c in first])  # candidates come best first
    top = designs.name(first[0])
    if scores[0] >= DUPLICATE_SCORE:
        return SameDesignAnswer(top, 1.0, True, "the photo itself is in the catalog")
    if rule is None:
        return SameDesignAnswer(top, None, False, "no same-design rule for this encoder")
    top_rows = designs.rows(first[0])
    top_rows = top_rows[~np.isin(top_rows, excluded)]
    photo_scores = np.sort(
        (queries @ np.asarray(catalog.embeddings(encoder)[top_rows], np.float32).T).max(axis=0)
    )[::-1]
    probability = float(rule.probability(ranking_features(best, photo_scores)))
    source = str(rule.fitted.get("source", ""))
    return SameDesignAnswer(top, probability, probability >= rule.accept, source)


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
    for code, rows, _ in picked:
        hits = table.iloc[start : start + len(rows)].reset_index(drop=True)
        # The group's score is its best photo's as listed, so a heading and its first card
        # never round one cosine two ways (0.23504 -> "0.24" above its card's 0.2350 -> "0.23").
        groups.append(DesignGroup(designs.name(code), float(hits["score"].iat[0]), hits))
        start += len(rows)
    return groups
