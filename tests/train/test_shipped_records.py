"""The shipped encoders record how they were trained without a path of one machine, and their
recorded recipes still read as today's configs."""

import json

import pytest

from skill.paths import ASSETS_ENCODERS
from skill.train.dino.config import TrainConfig
from skill.train.variants.config import VariantConfig

SHIPPED = {"skill-design": TrainConfig.from_dict, "colour-variants": lambda v: VariantConfig(**v)}


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_records_hold_no_absolute_path_and_rebuild_their_config(name):
    card = json.loads((ASSETS_ENCODERS / name / "config.json").read_text(encoding="utf-8"))
    assert not [s for s in _strings(card) if s.startswith(("/", "~")) or ":\\" in s]
    config = SHIPPED[name](card["training"]["config"])
    assert config.method == card["training"]["method"]
    assert config.images_path.name == "hm_colour_variants"
