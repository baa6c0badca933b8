"""Tests of ``python -m skill clusters`` (``trends`` and ``label`` are run in
tests/analysis/test_trends.py and test_fewshot.py, next to their fixtures)."""

import pandas as pd


def test_clusters_prints_and_writes_the_tables(cli_catalog, run_cli, tmp_path):
    code, out, _ = run_cli(
        "clusters", "--catalog", cli_catalog, "--n-clusters", 2, "--whole-catalog",
        "--out", tmp_path / "clusters.csv", "--items-out", tmp_path / "items.csv",
    )  # fmt: skip
    assert code == 0
    assert out.startswith("2 clusters of 32 photos; design purity ")
    table = pd.read_csv(tmp_path / "clusters.csv")
    items = pd.read_csv(tmp_path / "items.csv")
    assert len(table) == 2 and table["size"].sum() == 32
    assert len(items) == 32 and set(items["cluster"]) == set(table["cluster"])


def test_clusters_stay_within_categories_by_default(cli_catalog, run_cli, tmp_path):
    code, out, _ = run_cli(
        "clusters", "--catalog", cli_catalog, "--n-clusters", 2,
        "--items-out", tmp_path / "items.csv",
    )  # fmt: skip
    assert code == 0
    items = pd.read_csv(tmp_path / "items.csv")
    assert items.groupby("cluster")["category"].nunique().eq(1).all()
    assert items["cluster"].nunique() == 3  # 2 shared by size: angular 3 designs, round 1
