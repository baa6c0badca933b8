"""Tests of ``python -m skill encoders``."""


def test_encoders_lists_the_builtins(run_cli):
    code, out, _ = run_cli("encoders")
    assert code == 0
    assert "imagenet-lite0" in out and "baseline" in out
