"""What sets the self-distillation methods apart: SkiLL and its plain-DINO ablation.

Both train with the same loop, loss and schedules (:mod:`skill.train.dino.trainer`); a method
only chooses its view space, whose :meth:`recolor_view` is also the colour space the photo-bank
recipes recolour with, and how its encoder is named and described. A new method is a view
space and one row of :data:`DESIGN_METHODS`.

This module imports no torch, so the configs and the command line can list the methods
cheaply; the view spaces are imported when one is built.

Example:
    >>> views = DESIGN_METHODS[config.method].views(config)
    >>> recolor = views.recolor_view  # the method's colour space
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skill.train.dino.config import TrainConfig
    from skill.train.dino.views import DINOViews, SkillViews


def skill_views(config: TrainConfig) -> SkillViews:
    """SkiLL's global and local spaces with the colour-variant colour space of ``config``."""
    from skill.train.dino.views import SkillViews

    return SkillViews(
        global_size=config.global_size,
        local_size=config.local_size,
        num_local=config.num_local,
        global_scale=config.global_scale,
        rotation_degrees=config.rotation_degrees,
        blur_prob=config.blur_prob,
        hue_prob=config.hue_prob,
        channel_permute_prob=config.channel_permute_prob,
        grayscale_prob=config.grayscale_prob,
        saturation_range=config.saturation_range,
        brightness_range=config.brightness_range,
        invert_prob=config.invert_prob,
        local_scale=config.local_scale,
    )


def dino_views(config: TrainConfig) -> DINOViews:
    """DINO's standard multi-crop augmentations with its colour jitter (SkiLL's settings of
    ``config`` are ignored)."""
    from skill.train.dino.views import DINOViews

    return DINOViews(config.global_size, config.local_size, num_local=config.num_local)


@dataclass(frozen=True)
class DesignMethod:
    """One self-distillation method.

    Attributes:
        views: Builds the method's view space from a config.
        colour_space: How the encoder's model card names the colour space of the photo-bank
            recipes.
        multicrop_description: The model card of the multi-crop recipes.
        display_name: The encoder's name in the app; None takes ``config.display_name``.
        export_name: The encoder's name when ``config.name`` is left at its default; None
            keeps it.
    """

    views: Callable[[TrainConfig], SkillViews | DINOViews]
    colour_space: str
    multicrop_description: str
    display_name: str | None = None
    export_name: str | None = None


DESIGN_METHODS: dict[str, DesignMethod] = {
    "skill": DesignMethod(
        views=skill_views,
        colour_space="SkiLL's colour-variant space (product inverted half the time)",
        multicrop_description="EfficientNet-Lite0 fine-tuned with SkiLL: DINO "
        "self-distillation over a colour-invariant global space and design-detail local views; "
        "no labels used.",
    ),
    "dino": DesignMethod(
        views=dino_views,
        colour_space="DINO's colour jitter (the ablation of SkiLL)",
        multicrop_description="EfficientNet-Lite0 fine-tuned with plain DINO self-distillation "
        "(standard augmentations); the ablation of SkiLL.",
        display_name="Design (plain DINO)",
        export_name="dino-design",
    ),
}
"""The design methods by name; ``TrainConfig.method`` is one of these keys."""
