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
