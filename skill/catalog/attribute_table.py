"""The attributes stored in a catalog version, read-only: tags, facts and filter values.

A build (:mod:`skill.catalog.attributes`) writes each photo's attribute probabilities into the
version folder; :func:`read_attributes` opens them (memory-mapped) for search filters, tags,
maps and trends by attribute.

Example:
    >>> attributes = read_attributes(version_dir, len(items))
    >>> [tag.text for tag in attributes.tags(0)]
    ['Accessories', 'likely Solid (62 %)']
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ATTRIBUTES_FOLDER = "attributes"
"""The version sub-folder holding ``probabilities.npy`` and ``model.json``."""


@dataclass
class CatalogAttributes:
    """The attributes stored in a catalog version, read-only.

    Attributes:
        name: The attribute model's name.
        labels: Label names, one per column.
        display: How each label reads as a tag.
        groups: Each label's group.
        thresholds: Each label's fact threshold (``None``: never a fact).
        likely_threshold: From this probability a tag is shown as "likely".
        probabilities: Shape (n, labels), float16, row-aligned with the items; NaN where a
            photo got no prediction.
        info: The whole ``model.json`` (digest, shared encoder, timings).
    """

    name: str
    labels: list[str]
    display: list[str]
    groups: list[str]
    thresholds: list[float | None]
    likely_threshold: float
    probabilities: np.ndarray
    info: dict
    _facts: np.ndarray | None = field(default=None, repr=False)

    def facts(self) -> np.ndarray:
        """Shape (n, labels), bool: the attributes each photo has as facts (computed once)."""
        if self._facts is None:
            from skill.attributes.tags import fact_matrix

            self._facts = fact_matrix(self.probabilities, self.thresholds)
        return self._facts

    def tags(self, row: int, max_likely: int = 2):
        """The :class:`skill.attributes.tags.Tag` s of one photo, facts first."""
        from skill.attributes.tags import photo_tags

        return photo_tags(
            self.probabilities[row], self.labels, self.display, self.groups, self.thresholds,
            self.likely_threshold, max_likely,
        )  # fmt: skip

    def choices(self) -> list[str]:
        """What a map or a trend can be drawn by: each exclusive group (``pattern``,
        ``sleeves``, ...) in model order, then each detail label (``hood``, ...)."""
        from skill.attributes.tags import EXCLUSIVE_GROUPS

        groups = [g for g in dict.fromkeys(self.groups) if g in EXCLUSIVE_GROUPS]
        details = [
            label
            for label, group in zip(self.labels, self.groups, strict=True)
            if group not in EXCLUSIVE_GROUPS
        ]
        return groups + details

    def values(self, choice: str) -> list[str]:
        """One text per photo for a choice of :meth:`choices`.

        A group gives the display name of its fact value, or ``not sure`` where no value is
        a fact; a detail gives its name (a fact), ``likely <name>`` or ``no <name> tag``.
        """
        facts = self.facts()
        if (
            choice in self.labels
            and self.groups[self.labels.index(choice)] not in self._exclusive()
        ):
            j = self.labels.index(choice)
            name = self.display[j]
            with np.errstate(invalid="ignore"):
                likely = np.asarray(self.probabilities[:, j], np.float32) >= self.likely_threshold
            return np.where(
                facts[:, j], name, np.where(likely, f"likely {name}", f"no {name} tag")
            ).tolist()
        columns = [j for j, g in enumerate(self.groups) if g == choice]
        if not columns or choice not in self._exclusive():
            raise ValueError(f"choice must be one of {self.choices()}, got {choice!r}")
        probabilities = np.nan_to_num(
            np.asarray(self.probabilities[:, columns], np.float32), nan=-1
        )
        masked = np.where(facts[:, columns], probabilities, -1.0)
        best = masked.argmax(axis=1)
        names = np.asarray([self.display[j] for j in columns], dtype=object)
        return np.where(masked.max(axis=1) >= 0, names[best], "not sure").tolist()

    @staticmethod
    def _exclusive() -> tuple[str, ...]:
        from skill.attributes.tags import EXCLUSIVE_GROUPS

        return EXCLUSIVE_GROUPS

    def filterable(self) -> list[str]:
        """Labels that can be facts (they have a threshold), in model order."""
        return [
            label for label, t in zip(self.labels, self.thresholds, strict=True) if t is not None
        ]

    def column(self, label: str) -> int:
        """The column of a label; ``ValueError`` lists the labels."""
        if label not in self.labels:
            raise ValueError(f"no attribute {label!r}; the catalog has {self.labels}")
        return self.labels.index(label)

    def table(self, items: pd.DataFrame, rows: Sequence[int] | None = None) -> pd.DataFrame:
        """CSV-ready: ``item_id``, ``image_path``, the shown tags, then one probability column
        per label (``p: <label>``), for ``rows`` (default: every photo)."""
        rows = np.arange(len(items)) if rows is None else np.asarray(rows, np.int64)
        table = items.iloc[rows][["item_id", "image_path"]].reset_index(drop=True)
        table["tags"] = ["; ".join(t.text for t in self.tags(int(r))) for r in rows]
        probabilities = np.asarray(self.probabilities[rows], np.float32).round(3)
        columns = pd.DataFrame(probabilities, columns=[f"p: {label}" for label in self.labels])
        return pd.concat([table, columns], axis=1)


def read_attributes(version_dir: str | Path, count: int) -> CatalogAttributes | None:
    """The attributes of a catalog version, or ``None`` when it has none (or they do not fit).

    Args:
        version_dir: The version folder.
        count: Rows of its item table (a file of another length is ignored).
    """
    folder = Path(version_dir) / ATTRIBUTES_FOLDER
    try:
        info = json.loads((folder / "model.json").read_text())
        probabilities = np.load(folder / "probabilities.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    labels = info.get("labels", [])
    if probabilities.shape != (count, len(labels)):
        return None
    return CatalogAttributes(
        name=str(info.get("name", "")),
        labels=list(labels),
        display=list(info.get("display", labels)),
        groups=list(info.get("groups", [label.split(": ")[0] for label in labels])),
        thresholds=list(info.get("thresholds", [None] * len(labels))),
        likely_threshold=float(info.get("likely_threshold", 0.5)),
        probabilities=probabilities,
        info=info,
    )


__all__ = ["ATTRIBUTES_FOLDER", "CatalogAttributes", "read_attributes"]
