"""Design run settings: presets, early checks, paths read from the project and data folders."""

import pytest

from skill.paths import DEFAULT_TRAINING_DATA, PROJECT_DIR, data_dir
from skill.train.dino.config import PRESETS, TrainConfig


def test_presets_are_valid():
    assert PRESETS["cpu"].device == "auto" and PRESETS["gpu"].global_size == 224
    assert PRESETS["gpu"].frozen_stages == 0
    with pytest.raises(ValueError, match="method"):
        TrainConfig(method="simclr")


def test_view_bank_needs_a_frozen_trunk():
    with pytest.raises(ValueError, match="frozen_stages"):
        TrainConfig(view_bank_rounds=2, frozen_stages=0)


def test_photo_bank_recipe_rejects_local_views():
    with pytest.raises(ValueError, match="num_local"):
        TrainConfig(bank_source="photos", num_local=2)


def test_default_paths_are_relative_and_resolve_under_the_project(monkeypatch, tmp_path):
    monkeypatch.delenv("SKILL_DATA_DIR", raising=False)
    for config in PRESETS.values():
        assert config.images_dir == DEFAULT_TRAINING_DATA
        for path in (config.images_dir, config.output_dir, config.cache_dir):
            assert not path.startswith("/")
    config = PRESETS["cpu"]
    assert config.images_path == PROJECT_DIR / "../shared/data/hm_colour_variants"
    assert config.output_path == PROJECT_DIR / "runs" / "skill"
    assert config.cache_path == data_dir() / "train-cache-256"
    monkeypatch.setenv("SKILL_DATA_DIR", str(tmp_path))
    assert config.cache_path == tmp_path / "train-cache-256"
    assert TrainConfig(cache_dir=str(tmp_path / "c")).cache_path == tmp_path / "c"


def test_config_round_trips_through_json_values():
    config = PRESETS["cpu"]
    assert TrainConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig.from_dict({"nonsense": 1})
