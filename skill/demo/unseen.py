"""Photos the demo catalog has never seen, with exact answers: the same-design question asked
as a merchandiser asks it.

"Do we have this design, and in which colours?" is asked of a photo the catalog does not hold:
a supplier's sample, a new shoot. The demo renders two kinds, never written to the catalog:

- a design of the catalog in a colour it is not sold in (the right answer: that design);
- a design drawn with another seed, which the catalog does not have (the right answer: none;
  any design given is wrong, even a near-identical basic).

Example:
    >>> photo = next(new_colourways(DemoConfig()))
    >>> photo.design_id, photo.colour
    ('D0000', 'Brown')
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from skill.demo.builder import DemoConfig, design_rows
from skill.demo.colourways import colour_weights
from skill.demo.design import Design, sample_designs
from skill.demo.layers import prepare_layers
from skill.demo.render import colourize, sample_variation, shoot

NEW_DESIGN_SEED_OFFSET = 1000
"""New designs are drawn with ``config.seed + NEW_DESIGN_SEED_OFFSET + seed``."""


@dataclass(frozen=True)
class UnseenPhoto:
    """One photo the catalog does not hold.

    Attributes:
        image: The photo, rendered as the catalog's are (size, framing, pose variation).
        design_id: The catalog design it shows; "" for a design the catalog does not have.
        colour: Its colourway (a palette name).
        title: The design's product title.
    """

    image: Image.Image
    design_id: str
    colour: str
    title: str


def new_colourways(
    config: DemoConfig = DemoConfig(), designs: int | None = None, seed: int = 1
) -> Iterator[UnseenPhoto]:
    """Each catalog design (the first ``designs``) in one colour it is not sold in.

    The colour is drawn with the design's own colour weights (denim stays denim-coloured);
    a design already sold in every colour it may take is skipped.
    """
    for i, (design, colours, _) in enumerate(design_rows(config)):
        if designs is not None and i >= designs:
            return
        rng = np.random.default_rng([seed, 9, i])
        weights = colour_weights(design)
        choices = [name for name, weight in weights.items() if weight > 0 and name not in colours]
        if not choices:
            continue
        p = np.array([weights[name] for name in choices])
        colour = choices[int(rng.choice(len(choices), p=p / p.sum()))]
        yield UnseenPhoto(_photo(design, colour, config, rng), design.design_id, colour,
                          design.title)  # fmt: skip


def new_designs(
    config: DemoConfig = DemoConfig(), count: int = 100, seed: int = 1
) -> Iterator[UnseenPhoto]:
    """``count`` designs the catalog does not have, each in one of its likely colours."""
    others = sample_designs(count, seed=config.seed + NEW_DESIGN_SEED_OFFSET + seed)
    for i, design in enumerate(others):
        rng = np.random.default_rng([seed, 11, i])
        weights = colour_weights(design)
        names = list(weights)
        p = np.array([weights[name] for name in names])
        colour = names[int(rng.choice(len(names), p=p / p.sum()))]
        yield UnseenPhoto(_photo(design, colour, config, rng), "", colour, design.title)


def _photo(design: Design, colour: str, config: DemoConfig, rng: np.random.Generator):
    layers = prepare_layers(design, config.image_size, config.aspect)
    variation = sample_variation(rng, config.variation)
    return shoot(colourize(layers, design, colour), config.image_size, variation)
