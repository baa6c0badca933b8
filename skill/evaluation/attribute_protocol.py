"""Scoring an attribute model on any labelled folder of product photos.

The photos are read as a catalog build reads them (:func:`skill.catalog.source.read_items`:
the same column guesses, the same refusals); the labels come from the CSV's columns
(:class:`skill.attributes.labels.LabelColumns`: H&M's names by default, the description mined
by :mod:`skill.attributes.mining`); every photo is run through the whole model, pixels to
probabilities, as at index time. Labels the folder cannot measure (no positive, or no
negative, among the known photos) are listed but left out of the means.

Example:
    >>> result = evaluate_attributes("photos/", "photos/labels.csv")
    >>> result.report.mean_auc, result.report.measured[:3]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from skill.attributes.labels import LabelColumns, label_matrix
from skill.catalog.source import CatalogInputError, ColumnMap, read_csv, read_items, resolve_columns
from skill.evaluation.attributes import AttributeReport, attribute_metrics
from skill.progress import Progress


@dataclass
class AttributeEvaluation:
    """An attribute model's figures on a labelled folder.

    Attributes:
        report: Per-label and mean AUC and AP.
        model: The model's name.
        photos: Photos scored.
        skipped: ``image_path, reason`` of every photo left out.
        columns: Label source -> the CSV column read.
    """

    report: AttributeReport
    model: str
    photos: int
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)
    columns: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready: ``mean_auc``, ``mean_ap``, ``per_label``, ``labels`` and provenance."""
        return {
            **self.report.to_dict(),
            "model": self.model,
            "photos": self.photos,
            "skipped": len(self.skipped),
            "label_columns": self.columns,
        }


def evaluate_attributes(
    images_dir: str | os.PathLike,
    csv_path: str | os.PathLike,
    model: str = "fashion-attributes",
    label_columns: LabelColumns = LabelColumns(),
    columns: ColumnMap = ColumnMap(),
    required: tuple[str, ...] = (),
    batch_size: int = 32,
    runtime: str = "auto",
    progress: Progress | None = None,
) -> AttributeEvaluation:
    """Runs an attribute model on a labelled folder and scores it.

    Args:
        images_dir: Folder of photos.
        csv_path: CSV with an image (or id) column and label columns.
        model: Attribute model name or folder.
        label_columns: Where the label sources are.
        columns: Image and id columns (guessed when unset).
        required: Label sources whose column must exist (those a user named).
        batch_size: Photos per forward pass.
        runtime: ``auto``, ``onnx`` or ``torch``.
        progress: Reports stage ``embedding``.

    Returns:
        An :class:`AttributeEvaluation`.

    Raises:
        CatalogInputError: A required label column is missing, or no label column at all.
    """
    from skill.attributes.checkpoint import load_attribute_model
    from skill.encoders.embedding import embed_images

    frame = read_csv(csv_path)
    present = label_columns.present(frame)
    for source in required:
        if source not in present:
            raise CatalogInputError(
                f"column {getattr(label_columns, source)!r} (for {source}) is not in the CSV; "
                f"columns are: {', '.join(frame.columns)}"
            )
    if not present:
        wanted = [c for c in vars(label_columns).values() if c]
        raise CatalogInputError(
            f"no label column in the CSV (looked for {wanted}); columns are: "
            f"{', '.join(frame.columns)}"
        )
    table = read_items(images_dir, csv_path, columns)
    rows = _csv_rows(frame, resolve_columns(frame, columns), table.items)
    loaded = load_attribute_model(model)
    matrix = label_matrix(frame.iloc[rows].reset_index(drop=True), loaded.labels, label_columns)
    root = Path(images_dir).resolve()
    result = embed_images(
        loaded.network(),
        [root / path for path in table.items["image_path"]],
        batch_size,
        progress=progress,
        runtime=runtime,
    )
    failed = pd.DataFrame(
        [(table.items["image_path"].iat[i], reason) for i, reason in result.failures],
        columns=["image_path", "reason"],
    )
    ok = result.indices
    report = attribute_metrics(
        result.embeddings, matrix.values[ok], matrix.known[ok], loaded.labels
    )
    return AttributeEvaluation(
        report,
        loaded.name,
        len(ok),
        pd.concat([table.problems, failed], ignore_index=True),
        present,
    )


def _csv_rows(frame: pd.DataFrame, resolved: dict[str, str], items: pd.DataFrame) -> np.ndarray:
    """The CSV row of each item, as :func:`read_items` keyed them (first row of an id wins)."""
    if "id" in resolved:
        keys = frame[resolved["id"]].astype(str).str.strip()
    else:
        keys = frame[resolved["image"]].astype(str).str.strip().map(lambda p: Path(p).stem)
    first = pd.Series(np.arange(len(frame)), index=keys.to_numpy())
    first = first[~first.index.duplicated(keep="first")]
    return first.loc[items["item_id"].to_numpy()].to_numpy()
