"""Every way to train an encoder: one table of method x preset -> the function that runs it.

======================  ====================  ==================================================
method                  presets               runs
======================  ====================  ==================================================
skill, dino             cpu, cpu-views, gpu   :func:`skill.train.dino.trainer.train`
                                              (``--untrained``:
                                              :func:`skill.train.dino.untrained.export_untrained`)
triplet, atl, parts,    cpu                   :func:`skill.train.variants.head_recipe.head_variant`
simclr                  bank                  :func:`skill.train.variants.bank.bank_variant`
                        gpu                   :func:`skill.train.variants.finetune.finetune_variant`
======================  ====================  ==================================================

The methods are the rows of :data:`skill.train.dino.methods.DESIGN_METHODS` and
:data:`skill.train.variants.methods.VARIANT_METHODS`, the presets the keys of
:data:`skill.train.dino.config.PRESETS` and :data:`skill.train.variants.config.VARIANT_PRESETS`;
:data:`RECIPES` pairs every method with every preset of its family. A new method is its module
and one row of its family's methods table; a new preset is one entry of the presets.

This module imports no torch (functions are named by path and imported when a recipe runs), so
the command line lists the recipes cheaply.

Example:
    >>> recipe = find_recipe("atl", "bank")
    >>> config = recipe.configure(["epochs=2"], output_dir="runs/atl")
    >>> summary = recipe.run(config, progress=show)  # show(stage, done, total, unit)
    >>> summary["encoder"]
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from skill.progress import Progress
from skill.train.dino.config import PRESETS, TrainConfig
from skill.train.dino.methods import DESIGN_METHODS
from skill.train.settings import parse_settings
from skill.train.variants.config import VARIANT_PRESETS, VariantConfig
from skill.train.variants.methods import VARIANT_METHODS

Config = TrainConfig | VariantConfig

COMMON_FIELDS = ("images_dir", "csv_name", "output_dir", "epochs", "device", "seed")
"""Settings the train command sets with its own flags for every recipe."""


@dataclass(frozen=True)
class Recipe:
    """One way to train: a method under one preset.

    Attributes:
        method: E.g. ``"skill"`` or ``"atl"``.
        preset: E.g. ``"cpu"`` or ``"bank"``.
        config: The preset's settings with ``method`` set.
        runner: ``"module:function"`` of ``run(config, progress) -> summary``; the summary is
            JSON-able and names the exported folder as ``encoder``.
        untrained_runner: ``"module:function"`` exporting the recipe's starting point, or "".
        command_fields: Settings the train command's own flags (``--epochs``, ``--name`` ...)
            may set; its other flags do not apply to this recipe.
        no_eval: The settings that turn evaluation off (``--no-eval``); empty when the recipe
            always evaluates.
    """

    method: str
    preset: str
    config: Config
    runner: str
    untrained_runner: str = ""
    command_fields: tuple[str, ...] = COMMON_FIELDS
    no_eval: dict[str, Any] = field(default_factory=dict)

    def configure(
        self, settings: Sequence[str] = (), evaluate: bool = True, **overrides: Any
    ) -> Config:
        """The preset with ``overrides`` (None values ignored), then ``settings`` applied.

        Args:
            settings: ``"field=value"`` strings (``--set``), typed as the field is.
            evaluate: False turns evaluation off where the recipe allows it.
            **overrides: Settings to change.

        Raises:
            ValueError: An unknown setting, an unparsable value, or settings that would make
                the config another recipe's (its method or preset).
        """
        known = {f.name for f in dataclasses.fields(self.config)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"{unknown} are not settings of {type(self.config).__name__}")
        changes = {k: v for k, v in overrides.items() if v is not None}
        config = dataclasses.replace(self.config, **changes)
        config = dataclasses.replace(config, **parse_settings(config, settings))
        if not evaluate:
            config = dataclasses.replace(config, **self.no_eval)
        if config.method != self.method or getattr(config, "recipe", self.preset) != self.preset:
            raise ValueError("choose the method and the recipe with --method and --preset")
        return config

    def run(self, config: Config, progress: Progress | None = None) -> dict[str, Any]:
        """Trains, evaluates and exports ``config`` (see :attr:`runner`)."""
        return _function(self.runner)(config, progress)

    def run_untrained(self, config: Config, progress: Progress | None = None) -> dict[str, Any]:
        """Exports and evaluates the recipe's starting point without training.

        Raises:
            ValueError: The recipe has no untrained export.
        """
        if not self.untrained_runner:
            raise ValueError(f"--untrained is for {sorted(DESIGN_METHODS)}, not {self.method}")
        return _function(self.untrained_runner)(config, progress)


def _function(path: str) -> Callable[..., dict[str, Any]]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


DESIGN_RUNNER = "skill.train.dino.trainer:train"
DESIGN_UNTRAINED = "skill.train.dino.untrained:export_untrained"
VARIANT_RUNNERS = {
    "cpu": "skill.train.variants.head_recipe:head_variant",
    "bank": "skill.train.variants.bank:bank_variant",
    "gpu": "skill.train.variants.finetune:finetune_variant",
}
"""Which function runs each colour-variant preset (``VariantConfig.recipe``)."""


def _design_recipe(method: str, preset: str) -> Recipe:
    return Recipe(
        method,
        preset,
        dataclasses.replace(PRESETS[preset], method=method),
        DESIGN_RUNNER,
        DESIGN_UNTRAINED,
        COMMON_FIELDS + ("max_steps_per_epoch", "batch_size", "name"),
        {"eval_at_end": False, "eval_every": 0},
    )


def _variant_recipe(method: str, preset: str) -> Recipe:
    config = dataclasses.replace(
        VARIANT_PRESETS[preset], method=method, output_dir=f"runs/variants/{method}"
    )
    return Recipe(method, preset, config, VARIANT_RUNNERS[config.recipe])


RECIPES: dict[tuple[str, str], Recipe] = {
    **{(m, p): _design_recipe(m, p) for m in DESIGN_METHODS for p in PRESETS},
    **{(m, p): _variant_recipe(m, p) for m in VARIANT_METHODS for p in VARIANT_PRESETS},
}
"""Every recipe by ``(method, preset)``."""

METHODS = tuple(dict.fromkeys(method for method, _ in RECIPES))
"""Every method, design methods first."""

PRESET_NAMES = tuple(dict.fromkeys(preset for _, preset in RECIPES))
"""Every preset name of any family."""


def find_recipe(method: str, preset: str) -> Recipe:
    """The recipe of ``method`` under ``preset``.

    Raises:
        ValueError: No such recipe; the message names the method's presets (or the methods).
    """
    if (method, preset) in RECIPES:
        return RECIPES[method, preset]
    presets = [p for m, p in RECIPES if m == method]
    if not presets:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    raise ValueError(f"--preset {preset} is not a recipe of {method}; it has {presets}")
