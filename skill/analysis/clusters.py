"""Design clusters: group a catalog by design on its embeddings, with readable labels.

Colour variants of one design should land in one cluster. Two ways to get there:

- ``by_design=True`` (default): each design's photos are averaged into one unit vector and the
  designs are clustered; every photo takes its design's cluster, so colour variants share a
  cluster by construction (``design_purity`` is 1.0).
- ``by_design=False``: photos are clustered one by one. ``design_purity`` (the share of
  multi-colour designs whose photos all share one cluster) then measures how colour-invariant
  the embedding is.

By default a cluster never mixes categories (``within="category"``): each category is
clustered on its own, its share of ``n_clusters`` following its number of designs. Clustering
the whole catalog at once put sandals with t-shirts and necklaces with trousers on the H&M
photos; ``benchmarks/cluster_purity.py`` measures both.

Each cluster gets a label that is true of most of it and says how true: its most common
category with that category's share of its photos, then up to two title words found in at
least ``min_word_share`` of its designs (and two designs at least) and over-represented there
compared with the whole catalog (colour words left out), each with its share, e.g.
``"Dress 100% · floral 83%"``. An analyst's own names override those (:func:`name_clusters`).

Example:
    >>> result = cluster_designs(catalog.embeddings("imagenet-lite0"), catalog.items)
    >>> result.table[["cluster", "size", "label"]], result.design_purity
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from skill.catalog.designs import design_keys

CLUSTER_METHODS = ("kmeans", "agglomerative")
MAX_AGGLOMERATIVE = 20_000  # average linkage keeps an (n, n) distance matrix
_STOP_WORDS = frozenset({"and", "the", "for", "with", "from"})


@dataclass(frozen=True)
class ClusterConfig:
    """How to cluster a catalog.

    Attributes:
        method: ``kmeans`` (spherical k-means: k-means on unit vectors, centroids renormalised,
            so it follows cosine similarity) or ``agglomerative`` (average linkage on cosine
            distance; at most 20,000 units).
        n_clusters: Number of clusters; ``None`` picks ``round(sqrt(units / 2))`` clipped to
            ``[2, max_clusters]`` (a common rule of thumb). Typical 5-50 for browsing.
        max_clusters: Upper bound of the automatic choice.
        by_design: Cluster design means (colour variants share a cluster by construction)
            instead of single photos.
        representatives: Photos shown per cluster: those nearest its centroid, one per design.
            Typical 3-8.
        title_words: Distinctive title words in a cluster's label (0-3).
        seed: Random seed; equal seeds give equal clusters.
        within: Item column to cluster within (``category``): each of its values is clustered
            on its own, so no cluster mixes two; ``n_clusters`` is shared among them by their
            number of units, at least one each (so there are at least as many clusters as
            values), and ``None`` applies the automatic rule to each value's units (at least
            one). ``None`` clusters the whole catalog at once. A design takes its first
            photo's value.
        min_word_share: Share of a cluster's designs whose titles must hold a word for it to
            join the label. Typical 0.3-0.8; 0 labels with words few designs have.
    """

    method: str = "kmeans"
    n_clusters: int | None = None
    max_clusters: int = 40
    by_design: bool = True
    representatives: int = 4
    title_words: int = 2
    seed: int = 0
    within: str | None = "category"
    min_word_share: float = 0.5

    def __post_init__(self) -> None:
        if self.method not in CLUSTER_METHODS:
            raise ValueError(f"method must be one of {CLUSTER_METHODS}, got {self.method!r}")
        if self.n_clusters is not None and self.n_clusters < 1:
            raise ValueError(f"n_clusters must be >= 1 or None, got {self.n_clusters}")
        if self.max_clusters < 2:
            raise ValueError(f"max_clusters must be >= 2, got {self.max_clusters}")
        if self.representatives < 1:
            raise ValueError(f"representatives must be >= 1, got {self.representatives}")
        if not 0.0 <= self.min_word_share <= 1.0:
            raise ValueError(f"min_word_share must be in [0, 1], got {self.min_word_share}")


@dataclass
class ClusterResult:
    """Clusters of a catalog.

    Attributes:
        labels: Cluster of every photo, shape (n,), ids ``0..k-1`` in decreasing size.
        table: One row per cluster, CSV-ready: ``cluster, size, n_designs, label,
            top_categories, representative_items``.
        centroids: Unit centroid of every cluster, shape (k, dim).
        representatives: Cluster -> catalog rows to show (nearest the centroid, one per design).
        design_purity: Share of designs with two or more photos whose photos all share one
            cluster; NaN when no design has two photos.
        config: The settings used.
    """

    labels: np.ndarray
    table: pd.DataFrame
    centroids: np.ndarray
    representatives: dict[int, list[int]]
    design_purity: float
    config: ClusterConfig

    @property
    def names(self) -> dict[int, str]:
        """Cluster -> label."""
        return dict(zip(self.table["cluster"], self.table["label"], strict=True))


def auto_cluster_count(units: int, max_clusters: int = 40) -> int:
    """``round(sqrt(units / 2))`` clipped to ``[2, max_clusters]`` and to ``units``."""
    return int(min(max(2, round(math.sqrt(units / 2))), max_clusters, max(units, 1)))


def cluster_designs(
    embeddings: np.ndarray,
    items: pd.DataFrame,
    config: ClusterConfig = ClusterConfig(),
    names: Mapping[int, str] | None = None,
) -> ClusterResult:
    """Clusters a catalog's photos by design.

    Args:
        embeddings: Shape (n, dim), row-aligned with ``items``; normalised here.
        items: The item table (``design_id``, ``category``, ``title``, ``color`` used when
            present).
        config: Clustering settings.
        names: Cluster -> the analyst's own label, replacing the automatic one.

    Returns:
        A :class:`ClusterResult`.
    """
    vectors = _unit(np.asarray(embeddings, np.float32))
    if vectors.ndim != 2 or len(vectors) != len(items):
        raise ValueError(
            f"embeddings must have shape (len(items), dim); got {vectors.shape} "
            f"for {len(items)} items"
        )
    if len(vectors) < 2:
        raise ValueError("need at least 2 photos to cluster")
    designs = design_keys(items)
    if config.by_design:
        unit_keys, unit_of_row = np.unique(designs, return_inverse=True)
        sums = np.zeros((len(unit_keys), vectors.shape[1]), np.float64)
        np.add.at(sums, unit_of_row, vectors)
        units = _unit(sums.astype(np.float32))
    else:
        unit_of_row, units = np.arange(len(vectors)), vectors
    k = config.n_clusters
    if k is not None and k > len(units):
        raise ValueError(f"n_clusters={k} is more than the {len(units)} units to cluster")
    unit_labels = _fit_within(units, _unit_groups(items, config.within, unit_of_row), k, config)
    labels = _relabel_by_size(unit_labels[unit_of_row])
    k = int(labels.max()) + 1
    centroids = np.stack([_unit(vectors[labels == c].mean(axis=0)) for c in range(k)])
    representatives = _representatives(vectors, labels, centroids, designs, config.representatives)
    table = _cluster_table(items, labels, designs, representatives, config)
    result = ClusterResult(
        labels=labels,
        table=table,
        centroids=centroids,
        representatives=representatives,
        design_purity=design_purity(labels, designs),
        config=config,
    )
    if names:
        result.table = name_clusters(result.table, names)
    return result


def design_purity(labels: np.ndarray, designs: np.ndarray) -> float:
    """Share of designs with two or more photos whose photos all fall in one cluster.

    Args:
        labels: Cluster per photo, shape (n,).
        designs: Design per photo, shape (n,).

    Returns:
        A share in [0, 1]; NaN when no design has two photos.
    """
    frame = pd.DataFrame({"design": designs, "cluster": labels})
    grouped = frame.groupby("design")["cluster"].agg(["size", "nunique"])
    multi = grouped[grouped["size"] >= 2]
    return float((multi["nunique"] == 1).mean()) if len(multi) else float("nan")


def name_clusters(table: pd.DataFrame, names: Mapping[int, str]) -> pd.DataFrame:
    """Returns a copy of a cluster table with the analyst's labels; blank names are ignored."""
    table = table.copy()
    for cluster, name in names.items():
        if name and name.strip():
            table.loc[table["cluster"] == int(cluster), "label"] = name.strip()
    return table


def cluster_members(items: pd.DataFrame, result: ClusterResult) -> pd.DataFrame:
    """One row per photo for export: ``row, item_id, design_id, category, title, cluster,
    cluster_label``."""
    columns = [c for c in ("item_id", "design_id", "category", "title") if c in items]
    members = items[columns].copy()
    members.insert(0, "row", np.arange(len(items)))
    members["cluster"] = result.labels
    members["cluster_label"] = members["cluster"].map(result.names)
    return members.reset_index(drop=True)


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def _unit_groups(items: pd.DataFrame, within: str | None, unit_of_row: np.ndarray) -> np.ndarray:
    """The value of column ``within`` for every unit (a unit's first row's); all "" if none."""
    units = int(unit_of_row.max()) + 1 if len(unit_of_row) else 0
    if within is None or within not in items:
        return np.full(units, "", dtype=object)
    values = pd.Series(items[within].astype(str).to_numpy())
    return values.groupby(unit_of_row).first().reindex(range(units)).to_numpy(dtype=object)


def _fit_within(
    units: np.ndarray, groups: np.ndarray, k: int | None, config: ClusterConfig
) -> np.ndarray:
    """Clusters each group of units on its own: ``k`` shared by group size (at least 1 each),
    or with ``k`` None the automatic count of each group's own units."""
    names, group_of_unit, sizes = np.unique(
        groups.astype(str), return_inverse=True, return_counts=True
    )
    if len(names) == 1:
        return _fit(units, k or auto_cluster_count(len(units), config.max_clusters), config)
    if k is None:
        shares = np.array([min(auto_cluster_count(int(n), config.max_clusters), n) for n in sizes])
        shares = np.where(sizes < 4, 1, shares)  # 1-3 designs: one cluster, not two
    else:
        shares = np.round(k * sizes / sizes.sum())
    shares = np.minimum(np.maximum(1, shares).astype(int), sizes)
    labels = np.empty(len(units), np.int64)
    first_id = 0
    for group, share in enumerate(shares):
        members = np.flatnonzero(group_of_unit == group)
        labels[members] = first_id + _fit(units[members], int(share), config)
        first_id += int(share)
    return labels


def _fit(units: np.ndarray, k: int, config: ClusterConfig) -> np.ndarray:
    if k == 1:
        return np.zeros(len(units), np.int64)
    if config.method == "agglomerative":
        if len(units) > MAX_AGGLOMERATIVE:
            raise ValueError(
                f"agglomerative clustering handles at most {MAX_AGGLOMERATIVE} units, got "
                f"{len(units)}; use method='kmeans'"
            )
        from sklearn.cluster import AgglomerativeClustering

        model = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average")
        return model.fit_predict(units)
    return _spherical_kmeans(units, k, config.seed)


def _spherical_kmeans(units: np.ndarray, k: int, seed: int, iterations: int = 30) -> np.ndarray:
    """k-means++ seeding, then Lloyd steps with cosine assignment and unit centroids."""
    from sklearn.cluster import kmeans_plusplus

    rng = np.random.default_rng(seed)
    centroids, _ = kmeans_plusplus(units, k, random_state=int(rng.integers(2**31)))
    centroids = _unit(centroids)
    labels = np.full(len(units), -1)
    for _ in range(iterations):
        new = (units @ centroids.T).argmax(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            members = units[labels == c]
            if len(members):
                centroids[c] = _unit(members.mean(axis=0))
            else:  # an empty cluster restarts at the unit worst served by its centroid
                worst = int((units * centroids[labels]).sum(axis=1).argmin())
                centroids[c] = units[worst]
    return labels


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    values, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    rank = np.empty(len(values), np.int64)
    rank[np.lexsort((values, -counts))] = np.arange(len(values))
    return rank[inverse.reshape(-1)]


def _representatives(vectors, labels, centroids, designs, count) -> dict[int, list[int]]:
    chosen: dict[int, list[int]] = {}
    for c in range(len(centroids)):
        rows = np.flatnonzero(labels == c)
        rows = rows[np.argsort(-(vectors[rows] @ centroids[c]), kind="stable")]
        seen: set[str] = set()
        picked: list[int] = []
        for row in rows:
            if designs[row] not in seen:
                seen.add(designs[row])
                picked.append(int(row))
            if len(picked) == count:
                break
        chosen[c] = picked
    return chosen


def _words(text: str) -> set[str]:
    return {
        w
        for w in re.findall(r"[a-z][a-z'-]+", str(text).lower())
        if len(w) > 2 and w not in _STOP_WORDS
    }


def _singular(word: str) -> str:
    """``sneakers`` -> ``sneaker``: enough to keep a label from naming its category twice."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _cluster_table(items, labels, designs, representatives, config) -> pd.DataFrame:
    k = int(labels.max()) + 1
    n = len(items)
    categories = items["category"].astype(str) if "category" in items else pd.Series([""] * n)
    titles = items["title"].astype(str) if "title" in items else pd.Series([""] * n)
    colour_words = set()
    for column in ("color", "color_name"):
        if column in items:
            for value in items[column].astype(str).unique():
                colour_words |= _words(value)
    # One document per design, so a design sold in many colours counts once.
    first = pd.DataFrame({"design": designs, "title": titles.to_numpy(), "cluster": labels})
    first = first.drop_duplicates("design")
    docs = [_words(t) - colour_words for t in first["title"]]
    overall = Counter(w for doc in docs for w in doc)
    ids = np.asarray(items["item_id"].astype(str)) if "item_id" in items else np.arange(n)
    rows = []
    for c in range(k):
        mask = labels == c
        counts = categories[mask].replace("", np.nan).value_counts()
        total = int(counts.sum())
        top = ", ".join(f"{name} {count / total:.0%}" for name, count in counts.head(3).items())
        if counts.size:
            category = str(counts.index[0])
            head = f"{category} {counts.iloc[0] / int(mask.sum()):.0%}"
        else:
            category, head = "", f"Cluster {c}"
        said = {_singular(w) for w in _words(category)}  # the category is named already
        in_cluster = [
            {w for w in doc if _singular(w) not in said}
            for doc, cl in zip(docs, first["cluster"], strict=True)
            if cl == c
        ]
        words = _distinctive(
            in_cluster, overall, len(docs), config.title_words, config.min_word_share
        )
        label = " · ".join([head] + [f"{word} {share:.0%}" for word, share in words])
        rows.append(
            {
                "cluster": c,
                "size": int(mask.sum()),
                "n_designs": int(len(set(designs[mask]))),
                "label": label,
                "top_categories": top,
                "representative_items": ";".join(str(ids[r]) for r in representatives[c]),
            }
        )
    return pd.DataFrame(rows)


def _distinctive(
    docs: list[set[str]], overall: Counter, total_docs: int, count: int, min_share: float = 0.0
) -> list[tuple[str, float]]:
    """Words in at least two and ``min_share`` of the cluster's documents and rarer outside,
    ranked by in-cluster share x log lift; each with its in-cluster share."""
    if not docs or count == 0:
        return []
    local = Counter(w for doc in docs for w in doc)
    scores = {}
    for word, hits in local.items():
        share = hits / len(docs)
        lift = share / (overall[word] / total_docs)
        if hits >= 2 and share >= min_share:  # one design's title word describes no group
            scores[word] = share * math.log(lift) if lift > 1 else 0.0
    ranked = sorted((w for w in scores if scores[w] > 0), key=lambda w: (-scores[w], w))
    return [(word, local[word] / len(docs)) for word in ranked[:count]]
