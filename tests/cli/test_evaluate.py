"""Tests of ``python -m skill eval`` and ``split``."""

import json

import pandas as pd


def test_eval_prints_the_figures_as_json(cli_photos, tiny_encoder_dir, run_cli):
    code, out, _ = run_cli(
        "eval", "--images", cli_photos, "--csv", cli_photos / "catalog.csv", "--encoder",
        tiny_encoder_dir, "--invariance-sample", 4, "--json",
    )  # fmt: skip
    assert code == 0
    figures = json.loads(out)
    for key in ("hit@1", "hit@5", "hit@10", "mAP", "color_invariance"):
        assert 0.0 <= figures[key] <= 1.0, key
    assert figures["queries"] == 32 and figures["gallery"] == 32
    assert figures["encoder"] == "tiny-random"


def test_split_is_design_disjoint(cli_photos, run_cli, tmp_path):
    code, out, _ = run_cli(
        "split", "--csv", cli_photos / "catalog.csv", "--val-fraction", 0.25,
        "--out", tmp_path / "split",
    )  # fmt: skip
    assert code == 0 and "train:" in out
    train = pd.read_csv(tmp_path / "split" / "train.csv")
    val = pd.read_csv(tmp_path / "split" / "val.csv")
    assert len(train) + len(val) == 32 and len(val) > 0
    assert not set(train["design_id"]) & set(val["design_id"])
