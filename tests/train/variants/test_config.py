"""Colour-variant run settings: early checks and paths read from the project and data folders."""

import pytest

from skill.paths import DEFAULT_TRAINING_DATA, PROJECT_DIR, data_dir
from skill.train.recipes import find_recipe
from skill.train.variants.config import VARIANT_PRESETS, VariantConfig


def test_no_head_is_for_the_bank_recipe_only():
    with pytest.raises(ValueError, match="bank recipe only"):
        find_recipe("triplet", "cpu").configure(embedding_dim=0)


def test_bad_method_and_recipe_are_refused():
    with pytest.raises(ValueError, match="method must be one of"):
        VariantConfig(method="skill")
    with pytest.raises(ValueError, match="recipe must be one of"):
        VariantConfig(recipe="tpu")


def test_default_paths_are_relative_and_resolve_under_the_project(monkeypatch):
    monkeypatch.delenv("SKILL_DATA_DIR", raising=False)
    for config in VARIANT_PRESETS.values():
        assert config.images_dir == DEFAULT_TRAINING_DATA
        for path in (config.output_dir, config.feature_dir, config.catalog_dir):
            assert not path.startswith("/")
    config = VARIANT_PRESETS["bank"]
    assert config.images_path == PROJECT_DIR / DEFAULT_TRAINING_DATA
    assert config.image_cache_path == data_dir() / "train-cache-256"
    assert config.feature_path == data_dir() / "features"
    assert config.catalog_path == data_dir() / "catalogs" / "hm"
