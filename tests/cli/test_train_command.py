"""``python -m skill train``: the flags build a recipe's config and the RECIPES table runs it.

The recipes themselves are tested in tests/train; here they are replaced by a recorder.
"""

import dataclasses
import json

import pytest

import skill.train.recipes as recipes
from skill.cli import main
from skill.train.dino.config import PRESETS, TrainConfig
from skill.train.variants.config import VARIANT_PRESETS, VariantConfig


@pytest.fixture
def runs(monkeypatch):
    """Every ``(function, config)`` the command runs, instead of training."""
    seen = []

    def function(path):
        def run(config, progress=None):
            seen.append((path.split(":")[1], config))
            return {"encoder": f"{config.output_dir}/encoder"}

        return run

    monkeypatch.setattr(recipes, "_function", function)
    return seen


def test_a_design_run_by_default_with_its_flags(runs, capsys):
    assert main(["train", "--name", "mine", "--batch-size", "8", "--no-eval"]) == 0
    function, config = runs[-1]
    assert function == "train" and config.method == "skill"
    assert config.bank_source == PRESETS["cpu"].bank_source == "photos"
    assert isinstance(config, TrainConfig) and (config.name, config.batch_size) == ("mine", 8)
    assert config.eval_at_end is False and config.eval_every == 0
    assert json.loads(capsys.readouterr().out) == {"encoder": "runs/skill/encoder"}


def test_the_summary_is_strict_json(monkeypatch, capsys):
    def run(config, progress=None):
        metrics = {"hit@1": 0.5, "same_design_precision": float("nan")}
        return {"encoder": "runs/skill/encoder", "metrics": metrics}

    monkeypatch.setattr(recipes, "_function", lambda path: run)
    assert main(["train", "--no-eval"]) == 0

    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    summary = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert summary["metrics"] == {"hit@1": 0.5, "same_design_precision": None}


def test_a_colour_variant_run_takes_the_flags_that_apply_to_it(runs):
    argv = ["train", "--method", "atl", "--preset", "bank", "--epochs", "2", "--name", "x"]
    assert main([*argv, "--batch-size", "7", "--set", "lr=0.1", "--out", "runs/atl"]) == 0
    function, config = runs[-1]
    assert function == "bank_variant" and isinstance(config, VariantConfig)
    assert (config.method, config.recipe) == ("atl", "bank")
    assert (config.epochs, config.lr, config.output_dir) == (2, 0.1, "runs/atl")
    assert config.batch_size == VARIANT_PRESETS["bank"].batch_size  # --batch-size: design only


def test_untrained_runs_the_design_start_point(runs):
    assert main(["train", "--method", "dino", "--preset", "cpu-views", "--untrained"]) == 0
    function, config = runs[-1]
    assert function == "export_untrained" and config == dataclasses.replace(
        PRESETS["cpu-views"], method="dino"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "skill", "--preset", "bank"], "not a recipe of skill"),
        (["--method", "atl", "--untrained"], "--untrained"),
        (["--set", "method=dino"], "--method"),
    ],
)
def test_a_run_no_recipe_covers_is_refused(runs, capsys, argv, message):
    assert main(["train", *argv]) == 2
    assert message in capsys.readouterr().err and runs == []
