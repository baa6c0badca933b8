"""Tests of ``python -m skill index`` and ``search``."""

import json


def test_index_then_search(cli_photos, tiny_encoder_dir, run_cli, tmp_path):
    photos, catalog = cli_photos, tmp_path / "cat"
    code, out, _ = run_cli(
        "index", "--images", photos, "--catalog", catalog, "--csv", photos / "catalog.csv",
        "--encoder", tiny_encoder_dir, "--map", "pca", "--batch-size", 8,
    )  # fmt: skip
    assert code == 0
    assert "32 photos indexed" in out and "tiny-random: 32 embedded, 0 reused" in out

    code, out, _ = run_cli(
        "search", photos / "square-green-1.jpg", "--catalog", catalog, "-k", 2, "--json"
    )
    assert code == 0
    hits = json.loads(out)
    assert hits[0]["item_id"] == "square-green-1" and hits[0]["design_id"] == "square"
    assert hits[0]["group"] == "same design"
    assert {h["design_id"] for h in hits if h["group"] == "same design"} == {"square"}

    code, out, _ = run_cli("search", photos / "square-green-1.jpg", "--catalog", catalog)
    assert code == 0 and "This design in other colours: square" in out

    code, out, _ = run_cli(
        "index", "--images", photos, "--catalog", catalog, "--map", "pca",
        "--encoder", tiny_encoder_dir,
    )  # fmt: skip
    assert code == 0 and "tiny-random: 0 embedded, 32 reused" in out


def test_search_with_no_usable_photo_exits_2(cli_catalog, run_cli, tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"junk")
    code, _, err = run_cli("search", tmp_path / "bad.jpg", "--catalog", cli_catalog)
    assert code == 2 and "no usable query photo" in err and "skipped" in err
