"""``--set field=value`` strings as typed changes of a config."""

import pytest

from skill.train.dino.config import PRESETS
from skill.train.settings import parse_settings
from skill.train.variants.config import VARIANT_PRESETS


def test_set_strings_become_typed_changes():
    changes = parse_settings(
        PRESETS["cpu"],
        [
            "input_grayscale=true",
            "invert_prob=0.3",
            "global_scale=0.2,0.8",
            "epochs=2",
            "max-steps-per-epoch=7",
            "name=x",
        ],
    )
    assert changes == {
        "input_grayscale": True,
        "invert_prob": 0.3,
        "global_scale": (0.2, 0.8),
        "epochs": 2,
        "max_steps_per_epoch": 7,
        "name": "x",
    }
    stages = parse_settings(PRESETS["cpu"], ["pool_stages=3,4,5,6"])["pool_stages"]
    assert stages == (3, 4, 5, 6) and all(type(s) is int for s in stages)
    assert parse_settings(PRESETS["cpu"], ["global_scale=0.5,1"]) == {"global_scale": (0.5, 1)}
    assert parse_settings(PRESETS["cpu"], ["max_steps_per_epoch=none"]) == {
        "max_steps_per_epoch": None
    }
    assert parse_settings(VARIANT_PRESETS["cpu"], ["train_photos=50", "val_photos=none"]) == {
        "train_photos": 50,
        "val_photos": None,
    }


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="field=value"):
        parse_settings(PRESETS["cpu"], ["nonsense=1"])
    with pytest.raises(ValueError, match="field=value"):
        parse_settings(PRESETS["cpu"], ["epochs"])
    with pytest.raises(ValueError, match="cannot read"):
        parse_settings(PRESETS["cpu"], ["epochs=many"])
