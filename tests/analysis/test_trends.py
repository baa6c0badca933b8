"""Trends: shares over time, weighted slopes, the demo generator's built-in trends."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from skill.analysis.trends import (
    ShareTable,
    attribute_share_over_time,
    category_share_over_time,
    cluster_share_over_time,
    find_trends,
    parse_dates,
    share_over_time,
    trend_figure,
)


def _synthetic(n=3000, seed=0):
    """Group A's share rises from 10% to 50% over two years, B falls, C is flat noise."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 730, size=n)
    t = days / 729
    p_a, p_b = 0.1 + 0.4 * t, 0.5 - 0.4 * t
    u = rng.random(n)
    groups = np.where(u < p_a, "A", np.where(u < p_a + p_b, "B", "C"))
    start = dt.date(2024, 1, 1)
    dates = [(start + dt.timedelta(days=int(d))).isoformat() for d in days]
    return pd.DataFrame({"date": dates, "group": groups})


def test_shares_sum_to_one_and_count_every_dated_row():
    frame = _synthetic(500)
    frame.loc[:4, "date"] = ["not a date", "", "2024-13-45", "nan", "2024/02/03"]
    table = share_over_time(frame["date"], frame["group"], freq="Q")
    assert table.bad_dates == 2 and table.missing_dates == 2
    assert int(table.counts.to_numpy().sum()) == 500 - 4
    assert np.allclose(table.shares.sum(axis=1), 1.0)
    assert list(table.shares.index.astype(str)) == [
        f"{y}Q{q}" for y in (2024, 2025) for q in range(1, 5)
    ]
    long = table.long()
    assert list(long.columns) == ["period", "group", "count", "share"]
    assert len(long) == 8 * 3 and long["count"].sum() == 496


def test_parse_dates_mixed_formats():
    dates, bad, missing = parse_dates(
        ["2024-01-05", "2024/03/01", "2024-03", "x", "", "2025-12-31T10:00"]
    )
    assert dates.dt.month.tolist()[:3] == [1, 3, 3]
    assert bad == 1 and missing == 1


def test_find_trends_calls_rising_falling_and_flat():
    frame = _synthetic()
    trends = find_trends(share_over_time(frame["date"], frame["group"], freq="M")).set_index(
        "group"
    )
    assert trends.loc["A", "direction"] == "rising"
    assert trends.loc["B", "direction"] == "falling"
    assert trends.loc["C", "direction"] == "flat"
    # The generator moves A by 40 points end to end; the fit should land near it.
    assert 30 < trends.loc["A", "change_points"] < 50
    assert trends.loc["A", "consistency"] > 0.5 and trends.loc["B", "consistency"] < -0.5
    assert trends.loc["A", "p_value"] < 1e-4


def test_weighted_slope_matches_numpy_polyfit_on_equal_weights():
    counts = pd.DataFrame(
        {"A": [10, 20, 30, 25, 50], "B": [90, 80, 70, 75, 50]},
        index=pd.period_range("2024-01", periods=5, freq="M"),
    )
    table = ShareTable(counts, counts.div(counts.sum(axis=1), axis=0), "M", 0, 0)
    trends = find_trends(table).set_index("group")
    slope, intercept = np.polyfit(np.arange(5), counts["A"] / 100, 1)
    assert trends.loc["A", "slope_points_per_period"] == pytest.approx(100 * slope)
    assert trends.loc["A", "first_share"] == pytest.approx(intercept)
    assert trends.loc["A", "change_points"] == pytest.approx(-trends.loc["B", "change_points"])


def test_cluster_and_category_shares_count_designs_once():
    items = pd.DataFrame(
        {
            "item_id": list("abcdef"),
            "design_id": ["d1", "d1", "d1", "d2", "d3", ""],
            "category": ["Dress", "Dress", "Dress", "Bag", "Bag", ""],
            "date": [
                "2024-01-10",
                "2024-01-10",
                "2024-01-10",
                "2024-01-20",
                "2024-02-01",
                "2024-02-02",
            ],
        }
    )
    by_cluster = cluster_share_over_time(items, np.array([0, 0, 0, 1, 1, 1]), freq="M")
    assert by_cluster.counts.loc[pd.Period("2024-01", "M")].tolist() == [1, 1]
    by_photo = cluster_share_over_time(
        items, np.array([0, 0, 0, 1, 1, 1]), freq="M", per_design=False
    )
    assert by_photo.counts.loc[pd.Period("2024-01", "M")].tolist() == [3, 1]
    by_category = category_share_over_time(items, freq="M")
    assert set(by_category.counts.columns) == {"Dress", "Bag", "(none)"}
    with pytest.raises(ValueError, match="freq"):
        category_share_over_time(items, freq="W")
    with pytest.raises(ValueError, match="labels"):
        cluster_share_over_time(items, np.array([0, 1]))


def test_no_dates_gives_an_empty_table():
    table = share_over_time(["", "bad"], ["a", "b"])
    assert table.counts.empty and table.bad_dates == 1 and table.missing_dates == 1
    assert find_trends(table).empty


def test_figure_colours_rising_and_falling():
    frame = _synthetic(1500)
    table = share_over_time(frame["date"], frame["group"], freq="Q")
    figure = trend_figure(table, names={"A": "Stripes"})
    by_name = {trace.name: trace for trace in figure.data}
    rising = next(name for name in by_name if name.startswith("Stripes (rising"))
    assert by_name[rising].line.color == "#1a9850" and by_name[rising].line.width == 3
    falling = next(name for name in by_name if name.startswith("B (falling"))
    assert by_name[falling].line.color == "#d73027"
    assert by_name["C"].line.width == 1
    assert len(by_name[rising].x) == 8


def test_demo_generator_trends_come_out():
    """The demo catalog's built-in rising and falling prints are found (dates as the generator draws them)."""
    from skill.demo.design import sample_designs
    from skill.demo.trends import TRENDS, assign_launch_dates, design_attribute

    designs = sample_designs(400, seed=0)
    dates = assign_launch_dates(designs, "2024-01-01", "2025-12-31", seed=0)
    items = pd.DataFrame(
        {
            "design_id": [str(i) for i in range(len(designs))],
            "date": [d.isoformat() for d in dates],
            "print": [design_attribute(d, "print") for d in designs],
        }
    )
    trends = find_trends(category_share_over_time(items, freq="Q", column="print"))
    direction = dict(zip(trends["group"], trends["direction"], strict=True))
    built_in = [t for t in TRENDS if t.attribute == "print" and t.pattern in ("rises", "falls")]
    assert built_in, "the demo generator should have a rising or falling print"
    for trend in built_in:
        assert direction[trend.value] == {"rises": "rising", "falls": "falling"}[trend.pattern]


def test_tau_and_p_value_match_scipy():
    from scipy import stats

    from skill.analysis.trends import _weighted_slope, kendall_tau

    rng = np.random.default_rng(0)
    x = np.arange(12.0)
    y = rng.integers(0, 4, 12).astype(float)  # ties, as in sparse share series
    assert kendall_tau(x, y) == pytest.approx(stats.kendalltau(x, y).statistic)
    y = 0.1 * x + rng.normal(size=12)
    slope, intercept, p_value = _weighted_slope(x, y, np.ones(12))
    reference = stats.linregress(x, y)
    assert (slope, intercept, p_value) == pytest.approx(
        (reference.slope, reference.intercept, reference.pvalue)
    )


@pytest.fixture(scope="module")
def dated_catalog(tmp_path_factory):
    """32 shape photos; round ones launch late (rising), angular ones all along."""
    import csv

    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig
    from tests.shapes import save_tiny_encoder, write_shapes

    root = tmp_path_factory.mktemp("dated")
    rows = write_shapes(root / "photos", copies=2, csv_name=None)
    for i, row in enumerate(rows):
        month = 7 + i % 6 if row["kind"] == "round" else 1 + i % 12
        row["launch_date"] = f"2024-{month:02d}-15"
    rows[0]["launch_date"] = "not a date"
    with open(root / "photos" / "catalog.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    build_catalog(
        root / "photos",
        root / "catalog",
        csv_path=root / "photos" / "catalog.csv",
        encoders=[str(save_tiny_encoder(root / "tiny-random"))],
        config=CatalogConfig(batch_size=16, map=MapConfig(method="pca")),
    )
    return root / "catalog"


@pytest.mark.slow
def test_cli_clusters_and_trends(dated_catalog, tmp_path, capsys):
    from skill.cli import main

    out = tmp_path / "clusters.csv"
    members = tmp_path / "members.csv"
    code = main(
        ["clusters", "--catalog", str(dated_catalog), "--n-clusters", "3", "--out", str(out)]
        + ["--items-out", str(members)]
    )
    assert code == 0
    table = pd.read_csv(out)
    assert len(table) == 3 and table["size"].sum() == 32
    assert "design purity 1.000" in capsys.readouterr().out  # design means: by construction
    assert len(pd.read_csv(members)) == 32

    trends_csv, shares_csv, html = tmp_path / "t.csv", tmp_path / "s.csv", tmp_path / "t.html"
    code = main(
        ["trends", "--catalog", str(dated_catalog), "--by", "category", "--freq", "M"]
        + ["--per-photo", "--out", str(trends_csv), "--shares-out", str(shares_csv)]
        + ["--html", str(html)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "31 launches in 12 periods; 1 unreadable and 0 missing dates left out" in printed
    trends = pd.read_csv(trends_csv).set_index("group")
    assert set(trends.index) == {"round", "angular"}
    assert trends.loc["round", "change_points"] > 0 > trends.loc["angular", "change_points"]
    assert set(pd.read_csv(shares_csv).columns) == {"period", "group", "count", "share"}
    assert "plotly" in html.read_text()[:5000].lower()

    code = main(["trends", "--catalog", str(dated_catalog), "--n-clusters", "2", "--freq", "Q"])
    assert code == 0
    assert "4 launches in" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_trends_without_dates(tmp_path, capsys):
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig
    from skill.cli import main
    from tests.shapes import save_tiny_encoder, write_shapes

    write_shapes(tmp_path / "photos", shapes=("circle", "square"), fills=("Red", "Blue"))
    build_catalog(
        tmp_path / "photos",
        tmp_path / "catalog",
        csv_path=tmp_path / "photos" / "catalog.csv",
        encoders=[str(save_tiny_encoder(tmp_path / "tiny-random"))],
        config=CatalogConfig(batch_size=8, map=MapConfig(method="pca")),
    )
    assert main(["trends", "--catalog", str(tmp_path / "catalog"), "--by", "category"]) == 2
    assert "no readable dates" in capsys.readouterr().err


def test_attribute_shares_of_a_group_partition_and_of_details_overlap():
    from skill.catalog.attribute_table import CatalogAttributes

    months = [f"2024-{m:02d}-01" for m in range(1, 7) for _ in range(4)]  # 4 launches a month
    hood = [m >= 4 for m in range(1, 7) for _ in range(4)]  # none, then all
    pockets = [i % 2 == 0 for i in range(24)]  # half every month
    stripe = [i % 4 == 0 for i in range(24)]
    probabilities = np.stack([stripe, np.logical_not(stripe), hood, pockets], axis=1) * 0.9
    stored = CatalogAttributes("m", ["pattern: Stripe", "pattern: Solid", "hood", "pockets"],
                               ["Stripe", "Solid", "hood", "pockets"],
                               ["pattern", "pattern", "details", "details"], [0.5] * 4, 0.5,
                               probabilities.astype(np.float16), {})  # fmt: skip
    items = pd.DataFrame({"date": months, "design_id": [f"d{i}" for i in range(24)]})
    details = attribute_share_over_time(items, stored, "details", freq="M")
    assert list(details.shares.columns) == ["hood", "pockets"]
    np.testing.assert_allclose(details.shares["pockets"], 0.5)
    np.testing.assert_allclose(details.shares["hood"], [0, 0, 0, 1, 1, 1])
    assert (details.totals == 4).all()
    trends = find_trends(details).set_index("group")
    assert (
        trends.loc["hood", "direction"] == "rising" and trends.loc["pockets", "direction"] == "flat"
    )
    assert trends.loc["hood", "launches"] == 12
    pattern = attribute_share_over_time(items, stored, "pattern", freq="M")
    np.testing.assert_allclose(pattern.shares.sum(axis=1), 1.0)
    np.testing.assert_allclose(pattern.shares["Stripe"], 0.25)
