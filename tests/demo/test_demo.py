"""Tests of the demo catalog generator (skill.demo): labels, determinism, silhouettes, trends."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict

import numpy as np
import pytest
from PIL import Image

from skill.demo import (
    CSV_COLUMNS,
    KINDS,
    PALETTE,
    PRINTS,
    TRENDS,
    DemoConfig,
    build_demo_catalog,
    read_catalog,
    render_colour_sweep,
    render_contact_sheet,
    render_product,
    render_product_mask,
    sample_designs,
)
from skill.demo.layers import prepare_layers
from skill.demo.render import colourize
from skill.demo.trends import assign_launch_dates, design_attribute

TINY = DemoConfig(n_designs=12, image_size=128, seed=3)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """A tiny catalog, built once for the module: (csv path, rows)."""
    csv_path = build_demo_catalog(tmp_path_factory.mktemp("demo") / "catalog", TINY, verbose=False)
    return csv_path, read_catalog(csv_path)


def _md5(path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_palette_has_named_hex_colours():
    assert len(PALETTE) >= 20
    assert all(re.fullmatch(r"#[0-9A-F]{6}", code) for code in PALETTE.values())
    assert len({code.upper() for code in PALETTE.values()}) == len(PALETTE)


def test_sample_designs_is_deterministic_and_covers_kinds():
    assert len(KINDS) >= 8
    designs = sample_designs(40, seed=5)
    assert designs == sample_designs(40, seed=5)
    assert designs != sample_designs(40, seed=6)
    assert {d.kind for d in designs[: len(KINDS)]} == set(KINDS)
    assert len({d.design_id for d in designs}) == 40
    assert {d.print.kind for d in sample_designs(200, seed=0)} == set(PRINTS)


def test_titles_follow_the_design():
    for design in sample_designs(300, seed=1):
        title = design.title
        assert title and title[0].isupper()
        if design.shape.get("length") == "cropped":
            assert "cropped" in title.lower()
        if design.print.style == "gingham":
            assert title.startswith("Gingham")


def test_catalog_csv_columns_and_types(catalog):
    csv_path, rows = catalog
    with open(csv_path, encoding="utf-8") as f:
        assert f.readline().strip().split(",") == list(CSV_COLUMNS)
    assert len({r["id"] for r in rows}) == len(rows)
    start, end = dt.date.fromisoformat(TINY.start_date), dt.date.fromisoformat(TINY.end_date)
    for row in rows:
        assert start <= dt.date.fromisoformat(row["launch_date"]) <= end
        assert row["kind"] in KINDS and row["print"] in PRINTS
        assert PALETTE[row["colour_name"]] == row["colour_hex"]
        assert not row["image_path"].startswith("/") and row["title"]


def test_photo_count_without_rendering_equals_the_photos_rendered(catalog):
    from skill.demo.builder import demo_photo_count

    _, rows = catalog
    assert demo_photo_count(TINY) == len(rows)


def test_catalog_labels(catalog):
    _, rows = catalog
    by_design = defaultdict(list)
    for row in rows:
        by_design[row["design_id"]].append(row)
    assert len(by_design) == TINY.n_designs
    assert len({r["kind"] for r in rows}) >= 8
    low, high = TINY.colours_per_design
    for design_rows in by_design.values():
        colours = [r["colour_name"] for r in design_rows]
        assert low <= len(colours) <= high
        assert len(set(colours)) == len(colours)
        # Everything but the colour is a property of the design.
        for column in ("kind", "print", "title", "launch_date", "attributes"):
            assert len({r[column] for r in design_rows}) == 1


def test_catalog_images_exist_and_decode(catalog):
    csv_path, rows = catalog
    height = round(TINY.image_size * TINY.aspect)
    for row in rows:
        with Image.open(csv_path.parent / row["image_path"]) as img:
            assert img.format == "JPEG" and img.size == (TINY.image_size, height)
            img.load()


def test_build_is_deterministic_per_seed(catalog, tmp_path):
    csv_path, rows = catalog
    again = build_demo_catalog(tmp_path / "again", TINY, verbose=False)
    assert again.read_bytes() == csv_path.read_bytes()
    for row in rows[:6]:
        a = np.asarray(Image.open(csv_path.parent / row["image_path"]))
        b = np.asarray(Image.open(again.parent / row["image_path"]))
        assert np.array_equal(a, b)
    other = build_demo_catalog(
        tmp_path / "other", dataclasses.replace(TINY, seed=4, n_designs=4), verbose=False
    )
    assert other.read_bytes() != csv_path.read_bytes()


def test_build_skips_a_complete_catalog_and_replaces_another_config(catalog, tmp_path):
    config = dataclasses.replace(TINY, n_designs=2)
    csv_path = build_demo_catalog(tmp_path / "cat", config, verbose=False)
    before = csv_path.stat().st_mtime_ns
    calls = []
    assert (
        build_demo_catalog(
            tmp_path / "cat", config, progress=lambda s, d, t, u="": calls.append(d), verbose=False
        )
        == csv_path
    )
    assert calls == [] and csv_path.stat().st_mtime_ns == before
    bigger = build_demo_catalog(
        tmp_path / "cat", dataclasses.replace(config, n_designs=3), verbose=False
    )
    assert len({r["design_id"] for r in read_catalog(bigger)}) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat"]


def test_a_crash_leaves_no_half_catalog(tmp_path):
    def crash(stage, done, total, unit="photos"):
        if done == 3:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        build_demo_catalog(
            tmp_path / "cat", dataclasses.replace(TINY, n_designs=3), progress=crash, verbose=False
        )
    assert list(tmp_path.iterdir()) == []


def test_build_refuses_a_folder_that_is_not_a_catalog(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a demo catalog"):
        build_demo_catalog(tmp_path, TINY, verbose=False)


def test_config_is_checked():
    with pytest.raises(ValueError, match="colours_per_design"):
        build_demo_catalog("unused", DemoConfig(colours_per_design=(1, 3)), verbose=False)


def test_colourways_share_the_silhouette_without_variation():
    for design in sample_designs(len(KINDS), seed=2):
        layers = prepare_layers(design, width=96)
        red, navy = colourize(layers, design, "Red"), colourize(layers, design, "Navy")
        assert np.array_equal(red[..., 3], navy[..., 3])
        assert not np.array_equal(red[..., :3], navy[..., :3])
        # In the photos, only pixels on the product change with the colour.
        photos = [
            np.asarray(im, dtype=np.int16)
            for im in render_colour_sweep(design, ["Red", "Navy"], width=96)
        ]
        changed = np.abs(photos[0] - photos[1]).max(axis=2) > 8
        grown = render_product_mask(design, width=96)
        for _ in range(2):  # the downsampling filter reaches two pixels past the silhouette
            grown = np.any(
                [np.roll(grown, (dy, dx), axis=(0, 1)) for dy in (-1, 0, 1) for dx in (-1, 0, 1)],
                axis=0,
            )
        assert changed.any() and not (changed & ~grown).any()


def test_designs_of_one_kind_differ_in_silhouette():
    shirts = [d for d in sample_designs(120, seed=0) if d.kind == "t-shirt"][:8]
    masks = {render_product_mask(d, width=64).tobytes() for d in shirts}
    assert len(masks) == len(shirts)


def test_render_product_size_and_variation():
    design = sample_designs(1, seed=0)[0]
    plain = render_product(design, "Beige", width=64)
    assert plain.size == (64, 80) and plain.mode == "RGB"
    from skill.demo import Variation

    moved = render_product(design, "Beige", Variation(shift_x=0.03, angle=2.0), width=64)
    assert not np.array_equal(np.asarray(plain), np.asarray(moved))


def test_trends_show_in_launch_dates():
    designs = sample_designs(1500, seed=0)
    dates = assign_launch_dates(designs, "2024-01-01", "2025-12-31", seed=0)
    first = [d for d, day in zip(designs, dates, strict=True) if day < dt.date(2024, 4, 1)]
    last = [d for d, day in zip(designs, dates, strict=True) if day >= dt.date(2025, 10, 1)]
    for trend in TRENDS:
        values = Counter(design_attribute(d, trend.attribute) for d in designs)
        assert values[trend.value] > 0, trend
        if trend.pattern == "seasonal":
            months = [day.month for d, day in zip(designs, dates, strict=True) if trend.matches(d)]
            near = sum(abs((m - trend.peak_month + 6) % 12 - 6) <= 1 for m in months)
            far = sum(abs((m - trend.peak_month + 6) % 12 - 6) >= 5 for m in months)
            assert near > 2 * far, trend
            continue
        share_first = np.mean([trend.matches(d) for d in first])
        share_last = np.mean([trend.matches(d) for d in last])
        assert (share_last > share_first) == (trend.pattern == "rises"), trend


def test_contact_sheet(catalog, tmp_path):
    csv_path, _ = catalog
    out = render_contact_sheet(csv_path, tmp_path / "sheet.png", n=12, columns=6, thumb_width=64)
    with Image.open(out) as sheet:
        assert sheet.width == 6 * 64 and sheet.height % 80 == 0 and sheet.height >= 3 * 80
