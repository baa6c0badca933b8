"""SkiLL and its plain-DINO ablation differ in their colour space, and only there.

The promise of the design table: the ablation row is the SkiLL recipe with DINO's colour jitter
in place of SkiLL's colour-variant space. These tests build both recipes' spaces from the
RECIPES table and draw from them through the code the runs use.
"""

import colorsys
import dataclasses

import numpy as np
import pytest
import torch

import skill.train.dino.banks as banks
from skill.train.augment import GrayscaleViews
from skill.train.dino.banks import build_run_photo_bank, create_views
from skill.train.dino.views import DINOViews, SkillViews
from skill.train.recipes import RECIPES
from tests.shapes import draw_tshirt

BACKGROUND = (235, 235, 235)


def _photo_bank_recolor(config, monkeypatch, tmp_path):
    """The ``recolor`` a run of ``config`` hands to its photo bank (the bank is not built)."""
    seen = {}

    def capture(*args, **kwargs):
        seen.update(kwargs)

    monkeypatch.setattr(banks, "build_photo_bank", capture)
    monkeypatch.setattr(banks, "bank_trunk", lambda *args: None)
    config = dataclasses.replace(config, cache_dir=str(tmp_path))
    build_run_photo_bank(config, None, None, torch.device("cpu"))
    return seen["recolor"]


def _hue_shifts(recolor, draws: int = 300) -> np.ndarray:
    """How far (in turns of the hue circle) each recolouring moves the red body's hue; grey
    results, whose hue is undefined, are left out."""
    image = draw_tshirt()
    source = colorsys.rgb_to_hsv(*(np.asarray(image)[60, 40] / 255))[0]
    shifts = []
    for seed in range(draws):
        out = np.asarray(recolor(image, BACKGROUND, np.random.default_rng(seed)))[60, 40] / 255
        hue, saturation, _ = colorsys.rgb_to_hsv(*out)
        if saturation > 0.2:
            distance = abs(hue - source) % 1.0
            shifts.append(min(distance, 1.0 - distance))
    return np.asarray(shifts)


def test_the_photo_bank_recipes_recolour_with_different_spaces(monkeypatch, tmp_path):
    skill = _photo_bank_recolor(RECIPES["skill", "cpu"].config, monkeypatch, tmp_path)
    dino = _photo_bank_recolor(RECIPES["dino", "cpu"].config, monkeypatch, tmp_path)
    skill_shifts, dino_shifts = _hue_shifts(skill), _hue_shifts(dino)
    # SkiLL rotates hue anywhere on the circle (and inverts the product): a red garment turns
    # cyan, half a turn away.
    assert skill_shifts.max() > 0.45 and (skill_shifts > 0.25).mean() > 0.25
    # DINO's jitter moves hue by at most 0.1 turn (clipping at 0 and 255 adds a little).
    assert dino_shifts.max() < 0.12 and len(dino_shifts) > 150


@pytest.mark.parametrize("preset", ["cpu", "cpu-views", "gpu"])
def test_every_preset_gives_skill_its_colour_variant_space_and_dino_its_jitter(preset):
    skill_config, dino_config = RECIPES["skill", preset].config, RECIPES["dino", preset].config
    skill, dino = create_views(skill_config), create_views(dino_config)
    if skill_config.input_grayscale:
        assert isinstance(skill, GrayscaleViews) and isinstance(dino, GrayscaleViews)
        skill, dino = skill.views, dino.views
    assert isinstance(skill, SkillViews) and isinstance(dino, DINOViews)
    assert skill.hue_prob > 0 and skill.channel_permute_prob > 0 and skill.invert_prob > 0
    assert dino.color_jitter_prob == 0.8 and dino.grayscale_prob == 0.2
    # Everything but the method is one recipe.
    assert dataclasses.replace(dino_config, method="skill") == skill_config


def test_views_of_the_two_spaces_differ_in_hue_reach():
    config = RECIPES["skill", "cpu-views"].config
    skill = _hue_shifts(create_views(config).recolor_view)
    dino = _hue_shifts(create_views(dataclasses.replace(config, method="dino")).recolor_view)
    assert skill.max() > 0.45 > 0.12 > dino.max()
