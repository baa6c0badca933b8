"""The table of recipes: every method with every preset of its family, and the function that
runs it."""

import dataclasses
import importlib

import pytest

from skill.train.dino.config import PRESETS, TrainConfig
from skill.train.dino.methods import DESIGN_METHODS
from skill.train.recipes import METHODS, RECIPES, find_recipe
from skill.train.variants.config import VARIANT_PRESETS, VariantConfig
from skill.train.variants.methods import VARIANT_METHODS


def test_the_table_pairs_every_method_with_every_preset_of_its_family():
    expected = {(m, p) for m in DESIGN_METHODS for p in PRESETS} | {
        (m, p) for m in VARIANT_METHODS for p in VARIANT_PRESETS
    }
    assert set(RECIPES) == expected and len(RECIPES) == 18
    assert METHODS == ("skill", "dino", "triplet", "atl", "parts", "simclr")
    assert RECIPES["dino", "cpu"].runner == RECIPES["skill", "gpu"].runner
    runners = {p: RECIPES["atl", p].runner.split(":")[1] for p in VARIANT_PRESETS}
    assert runners == {"cpu": "head_variant", "bank": "bank_variant", "gpu": "finetune_variant"}


@pytest.mark.parametrize("key", sorted(RECIPES))
def test_every_row_runs_a_function_on_its_own_preset(key):
    recipe = RECIPES[key]
    for path in filter(None, (recipe.runner, recipe.untrained_runner)):
        module, _, name = path.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), path
    method, preset = key
    assert recipe.config.method == method
    if isinstance(recipe.config, TrainConfig):
        assert recipe.config == dataclasses.replace(PRESETS[preset], method=method)
    else:
        assert isinstance(recipe.config, VariantConfig) and recipe.config.recipe == preset
        assert recipe.config.output_dir == f"runs/variants/{method}"


def test_configure_applies_overrides_then_settings():
    recipe = find_recipe("atl", "bank")
    config = recipe.configure(["epochs=7", "lr=0.01"], epochs=2, seed=None, output_dir="runs/x")
    assert (config.epochs, config.lr, config.seed, config.output_dir) == (7, 0.01, 0, "runs/x")
    assert config.recipe == "bank" and config.method == "atl"
    with pytest.raises(ValueError, match="not settings"):
        recipe.configure(name="x")
    with pytest.raises(ValueError, match="--preset"):
        find_recipe("triplet", "cpu").configure(["recipe=bank"])
    with pytest.raises(ValueError, match="--method"):
        find_recipe("skill", "cpu").configure(["method=dino"])


def test_no_eval_turns_evaluation_off_where_a_recipe_allows_it():
    design = find_recipe("dino", "cpu").configure(["eval_every=5"], evaluate=False)
    assert design.eval_at_end is False and design.eval_every == 0
    variant = find_recipe("triplet", "cpu").configure(evaluate=False)
    assert variant == RECIPES["triplet", "cpu"].config


def test_unknown_recipes_name_the_choices():
    with pytest.raises(ValueError, match=r"it has \['cpu', 'cpu-views', 'gpu'\]"):
        find_recipe("skill", "bank")
    with pytest.raises(ValueError, match="method must be one of"):
        find_recipe("arcface", "cpu")
    with pytest.raises(ValueError, match="--untrained"):
        find_recipe("atl", "cpu").run_untrained(RECIPES["atl", "cpu"].config)
