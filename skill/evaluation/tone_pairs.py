"""Colour-variant retrieval split by how far apart in lightness a design's colourways are.

A hue-blind encoder sees a red and a green colourway of one design as two similar greys, but a
black and a white colourway as a dark and a light silhouette: opposite in almost every pixel.
This module names each colour's tone from its catalog name (``dark``: black or "Dark ...";
``light``: white or "Light ..."; ``mid``: the rest) and scores hit@1 separately for queries whose
other colourways are all of the opposite extreme tone (``dark-light``), share the query's tone
(``same tone``), or neither (``other``). It is how the analysis of the untrained encoder found
where it fails, and what a colour-invariant space has to fix.

Example:
    >>> by_kind = hit1_by_tone_pair(embeddings, items["design_id"], items["color"])
    >>> by_kind["dark-light"]
    {'hit@1': 0.27, 'queries': 428}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from skill.evaluation.metrics import target_ranks

PAIR_KINDS = ("dark-light", "same tone", "other")


def colour_tone(name: str) -> str:
    """``dark``, ``light`` or ``mid`` from a colour's catalog name (e.g. "Dark Blue": dark)."""
    words = str(name).lower().replace("-", " ").split()
    if "black" in words or "dark" in words:
        return "dark"
    if "white" in words or "light" in words:
        return "light"
    return "mid"


def pair_kind(query_colour: str, target_colours: Sequence[str]) -> str:
    """Which of :data:`PAIR_KINDS` a query and its other colourways form."""
    tone = colour_tone(query_colour)
    tones = {colour_tone(c) for c in target_colours}
    opposite = {"dark": "light", "light": "dark"}.get(tone)
    if opposite and tones == {opposite}:
        return "dark-light"
    if tone in tones:
        return "same tone"
    return "other"


def hit1_by_tone_pair(
    embeddings: np.ndarray, design_ids: Sequence, colours: Sequence
) -> dict[str, dict[str, float]]:
    """hit@1 of the colour-variant protocol per pair kind.

    Args:
        embeddings: Shape (n, dim), unit norm.
        design_ids: Length n.
        colours: Length n, catalog colour names.

    Returns:
        ``{kind: {"hit@1": rate, "queries": count}}`` for every kind of :data:`PAIR_KINDS`
        (rate NaN when a kind has no query).
    """
    design_ids = [str(d) for d in design_ids]
    colours = [str(c) for c in colours]
    queries, ranks = target_ranks(embeddings, design_ids, colours)
    by_design: dict[str, list[int]] = {}
    for i, design in enumerate(design_ids):
        by_design.setdefault(design, []).append(i)
    hits: dict[str, list[bool]] = {kind: [] for kind in PAIR_KINDS}
    for query, rank in zip(queries, ranks, strict=True):
        targets = [colours[j] for j in by_design[design_ids[query]] if colours[j] != colours[query]]
        hits[pair_kind(colours[query], targets)].append(bool(rank[0] <= 1))
    return {
        kind: {
            "hit@1": float(np.mean(values)) if values else float("nan"),
            "queries": len(values),
        }
        for kind, values in hits.items()
    }


__all__ = ["PAIR_KINDS", "colour_tone", "hit1_by_tone_pair", "pair_kind"]
