"""The attribute labels of a labelled CSV: which photo has which attribute, and which are known.

Labels come from four H&M columns by default (:class:`LabelColumns`), each value a binary
label named ``"<group>: <value>"``:

- ``pattern``: ``graphical_appearance_name`` (``pattern: Stripe``);
- ``type``: ``product_type_name`` (``type: Dress``);
- ``garment``: ``garment_group_name`` (``garment: Knitwear``);
- the description, ``detail_desc``, read by :mod:`skill.attributes.mining` (``sleeves: long``,
  ``hood``, ...);

and optionally a ``fit`` column (the demo catalog's ground truth) mapped onto the mined fit and
leg-shape values. A column value that is empty or ``Unknown`` leaves its group unknown for that
photo; a choice group the description does not name is unknown too (see
:mod:`skill.attributes.mining`), unless the product group (``product_group_name``) says it does
not apply (:data:`APPLIES_TO`: no sleeve length on trousers), where it is negative. Unknown
entries are left out of training and of every metric.

Values of another CSV are matched to the label names case-insensitively, singular or plural,
and through :data:`VALUE_SYNONYMS` (``stripes`` is ``Stripe``, ``sneaker`` is ``Sneakers``).

Example:
    >>> frame = read_csv("articles.csv")
    >>> labels = choose_labels(frame.iloc[train_rows], frame.iloc[val_rows], min_positives=40)
    >>> matrix = label_matrix(frame, labels)
    >>> matrix.values.shape, matrix.known.mean()
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from skill.attributes.mining import CHOICE_GROUPS, DETAILS, known_groups, mine_attributes

COLUMN_GROUPS = ("pattern", "type", "garment")
"""Label groups read straight from a CSV column, one label per value."""
UNKNOWN_VALUES = {"", "unknown", "nan", "none", "n/a", "na", "-"}
"""Column values that say nothing (the group stays unknown)."""
VALUE_SYNONYMS = {
    "motif": "all over pattern",
    "motifs": "all over pattern",
    "allover": "all over pattern",
    "all-over print": "all over pattern",
    "graphic": "front print",
    "placed graphic": "front print",
    "checked": "check",
    "plaid": "check",
    "polka dot": "dot",
    "polka dots": "dot",
    "striped": "stripe",
    "plain": "solid",
    "jumper": "sweater",
    "tee": "t-shirt",
    "jeans": "trousers",
}
"""Other names of label values (lower case), as other catalogs and the demo spell them."""
GARMENTS = ("garment upper body", "garment lower body", "garment full body", "nightwear")
APPLIES_TO: dict[str, tuple[str, ...]] = {
    "sleeves": ("garment upper body", "garment full body", "nightwear", "underwear", "swimwear"),
    "neckline": ("garment upper body", "garment full body", "nightwear", "underwear", "swimwear"),
    "fit": GARMENTS,
    "legs": ("garment lower body", "garment full body", "nightwear"),
    "length": GARMENTS,
}
"""The product groups (``product_group_name``, lower case) each mined choice group applies to.
For a product of another group the whole choice group is *known and negative* (trousers have
no sleeve length, a bag no leg shape), unless its description names a value anyway."""
FIT_VALUES = {
    "slim": "fit: slim",
    "fitted": "fit: slim",
    "regular": "fit: regular",
    "relaxed": "fit: relaxed",
    "oversized": "fit: relaxed",
    "loose": "fit: relaxed",
    "skinny": "legs: skinny",
    "straight": "legs: straight",
    "wide": "legs: wide",
    "tapered": "legs: tapered",
    "flared": "legs: flared",
}
"""Values of a ``fit`` column and the mined label each one is."""


@dataclass(frozen=True)
class LabelColumns:
    """Which CSV column holds each label source; ``None`` leaves the source out.

    A column that is named but absent from a CSV is an error where the caller named it
    (the CLI), and silently skipped for these H&M defaults. ``product_group`` gives no labels:
    it says which mined choice groups apply to a product (:data:`APPLIES_TO`).
    """

    pattern: str | None = "graphical_appearance_name"
    type: str | None = "product_type_name"
    garment: str | None = "garment_group_name"
    description: str | None = "detail_desc"
    fit: str | None = None
    product_group: str | None = "product_group_name"

    def present(self, frame: pd.DataFrame) -> dict[str, str]:
        """Source -> column, for the sources whose column is in ``frame``."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) and getattr(self, f.name) in frame.columns
        }


@dataclass
class LabelMatrix:
    """Which photo has which label.

    Attributes:
        labels: Label names, one per column.
        values: Shape (n, labels), float32: 1 where the photo has the label.
        known: Shape (n, labels), bool: whether ``values`` says anything there.
    """

    labels: list[str]
    values: np.ndarray
    known: np.ndarray

    def counts(self) -> pd.DataFrame:
        """``label, positives, known`` per label."""
        return pd.DataFrame(
            {
                "label": self.labels,
                "positives": (self.values * self.known).sum(axis=0).astype(int),
                "known": self.known.sum(axis=0).astype(int),
            }
        )


def group_of(label: str) -> str:
    """The group of a label: ``pattern`` for ``pattern: Stripe``, the label for a detail."""
    return label.split(": ", 1)[0]


def display_name(label: str) -> str:
    """A label as a tag reads: ``Stripe``, ``long sleeves``, ``V-neck``, ``hood``."""
    group, _, value = label.partition(": ")
    if not value:
        return group
    if group == "sleeves":
        return "sleeveless" if value == "sleeveless" else f"{value} sleeves"
    if group == "neckline":
        return value if value in ("V-neck", "off-the-shoulder") else f"{value} neck"
    if group == "fit":
        return f"{value} fit"
    if group == "legs":
        return f"{value} legs"
    if group == "length":
        return value if value in ("cropped",) else f"{value} length"
    return value


def row_labels(row: dict[str, str], columns: LabelColumns = LabelColumns()) -> tuple[set, set]:
    """The labels of one CSV row and the groups it settles.

    Args:
        row: Column -> text of one row.
        columns: Where each source is.

    Returns:
        ``(labels, known_groups)``: label names (column values not yet matched to a
        vocabulary) and the groups whose every label is known for this row.
    """
    labels: set[str] = set()
    known: set[str] = set()
    for group in COLUMN_GROUPS:
        column = getattr(columns, group)
        value = str(row.get(column, "") if column else "").strip()
        if column and column in row and _normalise(value) not in UNKNOWN_VALUES:
            labels.add(f"{group}: {value}")
            known.add(group)
    text = str(row.get(columns.description, "")) if columns.description else ""
    if _normalise(text) not in UNKNOWN_VALUES:  # no description: details unknown too
        mined = mine_attributes(text)
        labels |= mined
        known |= known_groups(mined) | {"details"}
    if columns.fit and columns.fit in row:
        fit = FIT_VALUES.get(_normalise(str(row[columns.fit])))
        if fit:
            labels.add(fit)
            known.add(group_of(fit))
    product_group = _normalise(row.get(columns.product_group, "")) if columns.product_group else ""
    if product_group not in UNKNOWN_VALUES:
        known |= {g for g, groups in APPLIES_TO.items() if product_group not in groups}
    return labels, known


def label_matrix(
    frame: pd.DataFrame, labels: list[str], columns: LabelColumns = LabelColumns()
) -> LabelMatrix:
    """The label matrix of a CSV's rows for a given vocabulary.

    Args:
        frame: The CSV, read as text.
        labels: The vocabulary (a model's labels).
        columns: Where each source is; absent columns leave their groups unknown.

    Returns:
        A :class:`LabelMatrix` row-aligned with ``frame``.
    """
    index = {_key(label): j for j, label in enumerate(labels)}
    groups = np.asarray([_known_group(label) for label in labels])
    present = columns.present(frame)
    usable = LabelColumns(**{f.name: present.get(f.name) for f in fields(LabelColumns)})
    values = np.zeros((len(frame), len(labels)), np.float32)
    known = np.zeros((len(frame), len(labels)), bool)
    records = frame[list(present.values())].to_dict("records") if present else [{}] * len(frame)
    for i, row in enumerate(records):
        found, settled = row_labels(row, usable)
        for label in found:
            j = index.get(_key(label))
            if j is not None:
                values[i, j] = 1.0
        known[i] = np.isin(groups, list(settled))
    return LabelMatrix(list(labels), values, known)


def choose_labels(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    columns: LabelColumns = LabelColumns(),
    min_positives: int = 40,
) -> list[str]:
    """The labels worth a model: enough positive photos to learn and to measure.

    Args:
        train: Training rows of the CSV.
        validation: Validation rows.
        columns: Where each source is.
        min_positives: Least positive training photos; the validation rows need a third of
            it. Typical 20-100.

    Returns:
        Label names: column groups in :data:`COLUMN_GROUPS` order, most frequent value first,
        then the mined labels in :data:`skill.attributes.mining.MINED_LABELS` order.
    """
    from skill.attributes.mining import MINED_LABELS

    def counts(frame: pd.DataFrame) -> dict[str, int]:
        tally: dict[str, int] = {}
        present = columns.present(frame)
        usable = LabelColumns(**{f.name: present.get(f.name) for f in fields(LabelColumns)})
        for row in frame[list(present.values())].to_dict("records"):
            for label in row_labels(row, usable)[0]:
                tally[label] = tally.get(label, 0) + 1
        return tally

    train_counts, val_counts = counts(train), counts(validation)
    wanted = [
        label
        for label, count in train_counts.items()
        if count >= min_positives and val_counts.get(label, 0) >= max(1, min_positives // 3)
    ]
    column_labels = sorted(
        (label for label in wanted if group_of(label) in COLUMN_GROUPS),
        key=lambda label: (COLUMN_GROUPS.index(group_of(label)), -train_counts[label], label),
    )
    mined = [label for label in MINED_LABELS if label in wanted]
    return column_labels + mined


def _known_group(label: str) -> str:
    group = group_of(label)
    if group in COLUMN_GROUPS or group in CHOICE_GROUPS:
        return group
    if label in DETAILS:
        return "details"
    raise ValueError(f"unknown label group of {label!r}")


def _normalise(value: str) -> str:
    return " ".join(str(value).lower().replace("_", " ").split())


def _key(label: str) -> str:
    """A label's matching key: group and value lower-cased, synonyms mapped, singular."""
    group, sep, value = label.partition(": ")
    if not sep:
        return _normalise(group)
    value = _normalise(value)
    value = VALUE_SYNONYMS.get(value, value)
    if (
        group in COLUMN_GROUPS
        and len(value) > 3
        and value.endswith("s")
        and not value.endswith("ss")
    ):
        value = value[:-1]
    return f"{_normalise(group)}: {value}"
