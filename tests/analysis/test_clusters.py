"""Design clusters on synthetic embeddings whose designs and categories are known."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from skill.analysis.clusters import (
    ClusterConfig,
    auto_cluster_count,
    cluster_designs,
    cluster_members,
    design_purity,
    name_clusters,
)


def _catalog(groups=4, designs_per_group=6, colours=3, noise=0.15, seed=0):
    """Photos of designs in well-separated groups; each design in several colours.

    A design's colourways sit near the design's vector, designs near their group's centre. The
    group decides category and title words, so labels can be checked.
    """
    rng = np.random.default_rng(seed)
    dim = 24
    centres = rng.normal(size=(groups, dim)) * 3
    words = ["floral maxi", "striped crew", "denim wide", "canvas court", "leather tote"]
    kinds = ["Dress", "T-shirt", "Trousers", "Sneaker", "Bag"]
    rows, vectors = [], []
    for g in range(groups):
        for d in range(designs_per_group):
            design = centres[g] + rng.normal(size=dim)
            for c in range(colours):
                vectors.append(design + noise * rng.normal(size=dim))
                rows.append(
                    {
                        "item_id": f"g{g}d{d}c{c}",
                        "design_id": f"g{g}d{d}",
                        "color": ["Black", "White", "Red"][c],
                        "category": kinds[g],
                        "title": f"{words[g]} {['Black', 'White', 'Red'][c]} style{d % 2}",
                    }
                )
    return np.array(vectors, np.float32), pd.DataFrame(rows)


def test_clusters_recover_groups_with_labels_and_representatives():
    x, items = _catalog()
    result = cluster_designs(x, items, ClusterConfig(n_clusters=4, representatives=3))
    assert result.labels.shape == (len(items),)
    # Every true group is one cluster, and clusters are numbered by decreasing size.
    assert pd.crosstab(items["category"], result.labels).gt(0).sum(axis=1).eq(1).all()
    assert result.table["size"].is_monotonic_decreasing
    assert result.table["size"].sum() == len(items)
    assert (result.table["n_designs"] == 6).all()
    assert result.design_purity == 1.0
    labels = dict(zip(result.table["top_categories"], result.table["label"], strict=True))
    assert labels["Dress 100%"] == "Dress 100% · floral 100% · maxi 100%"
    assert labels["Trousers 100%"] == "Trousers 100% · denim 100% · wide 100%"
    for cluster, rows in result.representatives.items():
        assert len(rows) == 3
        assert (result.labels[rows] == cluster).all()
        assert items["design_id"].iloc[rows].is_unique  # one photo per design
        # The first representative is the cluster's photo nearest the centroid.
        members = np.flatnonzero(result.labels == cluster)
        u = x[members] / np.linalg.norm(x[members], axis=1, keepdims=True)
        assert rows[0] == members[np.argmax(u @ result.centroids[cluster])]
    assert np.allclose(np.linalg.norm(result.centroids, axis=1), 1.0, atol=1e-5)


def test_by_design_keeps_colour_variants_together_rows_may_not():
    # Colour noise as large as the design spread: clustering photos splits colourways.
    x, items = _catalog(groups=3, designs_per_group=8, noise=1.5, seed=3)
    by_rows = cluster_designs(x, items, ClusterConfig(n_clusters=12, by_design=False))
    by_design = cluster_designs(x, items, ClusterConfig(n_clusters=12, by_design=True))
    assert by_design.design_purity == 1.0
    assert by_rows.design_purity < 1.0
    assert by_design.table["n_designs"].sum() == items["design_id"].nunique()


def test_design_purity_reference():
    designs = np.array(["a", "a", "b", "b", "c", "d", "d", "d"])
    labels = np.array([0, 0, 0, 1, 2, 1, 1, 1])
    assert design_purity(labels, designs) == pytest.approx(2 / 3)  # c has one photo: ignored
    assert np.isnan(design_purity(np.array([0, 1]), np.array(["a", "b"])))


def test_agglomerative_and_seeds():
    x, items = _catalog(seed=5)
    agg = cluster_designs(x, items, ClusterConfig(method="agglomerative", n_clusters=4))
    assert pd.crosstab(items["category"], agg.labels).gt(0).sum(axis=1).eq(1).all()
    a = cluster_designs(x, items, ClusterConfig(n_clusters=7, seed=1))
    b = cluster_designs(x, items, ClusterConfig(n_clusters=7, seed=1))
    assert np.array_equal(a.labels, b.labels)


def test_names_override_and_members_export(tmp_path):
    x, items = _catalog()
    result = cluster_designs(x, items, ClusterConfig(n_clusters=4), names={1: "  Summer  ", 2: ""})
    assert result.table.loc[1, "label"] == "Summer"
    assert result.table.loc[2, "label"] != ""
    renamed = name_clusters(result.table, {0: "Basics"})
    assert renamed.loc[0, "label"] == "Basics" and result.table.loc[0, "label"] != "Basics"
    members = cluster_members(items, result)
    assert list(members.columns) == [
        "row", "item_id", "design_id", "category", "title", "cluster", "cluster_label"
    ]  # fmt: skip
    assert (members.loc[result.labels == 1, "cluster_label"] == "Summer").all()
    members.to_csv(tmp_path / "m.csv", index=False)
    result.table.to_csv(tmp_path / "c.csv", index=False)
    back = pd.read_csv(tmp_path / "c.csv")
    assert back["representative_items"].str.count(";").eq(3).all()


def test_auto_count_and_no_metadata():
    assert auto_cluster_count(2) == 2
    assert auto_cluster_count(800) == 20
    assert auto_cluster_count(10**6, max_clusters=40) == 40
    rng = np.random.default_rng(0)
    result = cluster_designs(rng.normal(size=(50, 8)), pd.DataFrame(index=range(50)))
    assert len(result.table) == 5  # round(sqrt(50 / 2))
    assert result.table["label"].str.startswith("Cluster").all()
    assert np.isnan(result.design_purity)


def test_bad_arguments_raise():
    x, items = _catalog()
    with pytest.raises(ValueError, match="method"):
        ClusterConfig(method="dbscan")
    with pytest.raises(ValueError, match="shape"):
        cluster_designs(x[:5], items)
    with pytest.raises(ValueError, match="more than"):
        cluster_designs(x, items, ClusterConfig(n_clusters=500))


def test_clusters_within_categories_never_mix_them():
    # Two categories drawn from one distribution: clustering the whole catalog mixes them.
    rng = np.random.default_rng(0)
    designs = 40
    x = rng.normal(size=(designs, 16)).astype(np.float32)
    items = pd.DataFrame(
        {
            "item_id": [f"i{i}" for i in range(designs)],
            "design_id": [f"d{i}" for i in range(designs)],
            "category": ["Sandals"] * 30 + ["T-shirt"] * 10,
            "title": [""] * designs,
        }
    )
    mixed = cluster_designs(x, items, ClusterConfig(n_clusters=4, within=None))
    assert pd.crosstab(mixed.labels, items["category"]).gt(0).sum(axis=1).max() == 2
    within = cluster_designs(x, items, ClusterConfig(n_clusters=4))
    per_cluster = pd.crosstab(within.labels, items["category"])
    assert per_cluster.gt(0).sum(axis=1).eq(1).all()  # one category per cluster
    assert per_cluster.gt(0).sum(axis=0).to_dict() == {"Sandals": 3, "T-shirt": 1}  # 4 by size
    assert within.table["label"].str.match(r"^(Sandals|T-shirt) 100%$").all()
    # Fewer clusters wanted than categories: each category is still a cluster of its own.
    assert len(cluster_designs(x, items, ClusterConfig(n_clusters=1)).table) == 2
    # No number: the automatic rule within each category (sqrt(30 / 2) -> 4, sqrt(10 / 2) -> 2).
    auto = cluster_designs(x, items, ClusterConfig())
    assert pd.crosstab(auto.labels, items["category"]).gt(0).sum(axis=0).to_dict() == {
        "Sandals": 4,
        "T-shirt": 2,
    }


def test_a_label_holds_only_words_most_of_its_cluster_has_with_their_shares():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(2, 8)) * 5
    x = np.repeat(centres, 12, axis=0) + rng.normal(size=(24, 8))
    titles = ["floral midi dress"] * 9 + ["floral bra top", "plain bra", "plain bra"]
    items = pd.DataFrame(
        {
            "item_id": [f"i{i}" for i in range(24)],
            "design_id": [f"d{i}" for i in range(24)],
            "category": ["Dress"] * 10 + ["Bra"] * 2 + ["Boot"] * 12,
            "title": titles + ["leather ankle boots"] * 12,
        }
    )
    config = ClusterConfig(n_clusters=2, within=None, title_words=3)
    labels = cluster_designs(x.astype(np.float32), items, config).table["label"].tolist()
    # Dress is 10 of the cluster's 12 photos; "floral" in 10 of its 12 designs, "midi" in 9;
    # "bra" (3 of 12) is as over-represented, but true of too few to name the cluster.
    assert "Dress 83% · floral 83% · midi 75%" in labels
    assert "Boot 100% · ankle 100% · leather 100%" in labels  # never "boots 100%" again
    loose = dataclasses.replace(config, min_word_share=0.0)
    labels = cluster_designs(x.astype(np.float32), items, loose).table["label"].tolist()
    assert "Dress 83% · floral 83% · midi 75% · bra 25%" in labels
