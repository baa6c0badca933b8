"""From attribute probabilities to tags a merchandiser can take at their word.

A tag is a **fact** when its probability reaches the label's calibrated threshold (chosen for a
precision target on designs the model never trained on; see
:mod:`skill.train.attributes.calibration`). Below that, from :data:`LIKELY_THRESHOLD`, it is
**likely** and always shown with its probability; lower, or for a label that never reached
the precision target, it is not shown as a fact at all. In a group whose values exclude each
other (pattern, type, sleeves, ...) only the most probable value is shown.

Example:
    >>> tags = photo_tags(probabilities[row], labels, display, groups, thresholds)
    >>> [t.text for t in tags]
    ['Stripe', 'T-shirt', 'short sleeves', 'likely round neck (62 %)']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LIKELY_THRESHOLD = 0.5
"""Probability from which a tag below its fact threshold is shown as "likely"."""
EXCLUSIVE_GROUPS = ("pattern", "type", "garment", "sleeves", "neckline", "fit", "legs", "length")
"""Groups with one value per photo (the details, like hood or pockets, are not)."""


@dataclass(frozen=True)
class Tag:
    """One shown attribute.

    Attributes:
        label: Label name, e.g. ``pattern: Stripe``.
        display: How it reads, e.g. ``Stripe``.
        probability: The model's probability.
        fact: Above the label's calibrated threshold.
    """

    label: str
    display: str
    probability: float
    fact: bool

    @property
    def text(self) -> str:
        """The tag as shown: the name for a fact, "likely <name> (NN %)" otherwise."""
        if self.fact:
            return self.display
        return f"likely {self.display} ({100 * self.probability:.0f} %)"


def fact_matrix(probabilities: np.ndarray, thresholds: Sequence[float | None]) -> np.ndarray:
    """Which photos have which attribute as a fact.

    Args:
        probabilities: Shape (n, labels); NaN (not predicted) is never a fact.
        thresholds: Per label; ``None`` never gives a fact.

    Returns:
        Shape (n, labels), bool.
    """
    probabilities = np.asarray(probabilities, np.float32)
    limits = np.asarray([np.inf if t is None else t for t in thresholds], np.float32)
    with np.errstate(invalid="ignore"):
        return probabilities >= limits[None, :]


def photo_tags(
    probabilities: np.ndarray,
    labels: Sequence[str],
    display: Sequence[str],
    groups: Sequence[str],
    thresholds: Sequence[float | None],
    likely: float = LIKELY_THRESHOLD,
    max_likely: int = 2,
) -> list[Tag]:
    """The tags of one photo: facts first (most probable first), then a few likely ones.

    Args:
        probabilities: Shape (labels,).
        labels: Label names.
        display: Their display names.
        groups: Their groups (exclusive groups show one value).
        thresholds: Fact thresholds (``None``: never a fact).
        likely: Least probability of a "likely" tag.
        max_likely: Likely tags shown at most.

    Returns:
        The tags, facts then likely ones.
    """
    probabilities = np.asarray(probabilities, np.float32)
    order = np.argsort(-np.nan_to_num(probabilities, nan=-1.0), kind="stable")
    facts, maybes, used = [], [], set()
    for j in order:
        p = float(probabilities[j])
        if not np.isfinite(p) or p < min(likely, thresholds[j] or likely):
            continue
        group = groups[j]
        if group in EXCLUSIVE_GROUPS and group in used:
            continue
        fact = thresholds[j] is not None and p >= thresholds[j]
        if fact or p >= likely:
            tag = Tag(labels[j], display[j], p, fact)
            (facts if fact else maybes).append(tag)
            if group in EXCLUSIVE_GROUPS:
                used.add(group)
    return facts + maybes[:max_likely]
