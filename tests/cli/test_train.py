"""Tests of ``python -m skill train``: how flags reach the recipes (no training runs here)."""

import pytest


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "skill", "--set", "no_such_field=1"], "--set needs field=value"),
        (["--method", "triplet", "--preset", "cpu-views"], "cpu-views"),
    ],
)
def test_bad_recipe_settings_exit_2_before_training(run_cli, tmp_path, argv, message):
    code, out, err = run_cli("train", *argv, "--out", tmp_path / "run")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()
