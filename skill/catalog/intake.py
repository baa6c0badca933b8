"""What a person gives to build a catalog, checked and turned into :func:`build_catalog` inputs.

The app's build form takes a catalog name, encoder names, photos (a folder on this machine or an
uploaded zip) and an optional label CSV. :func:`prepare_build` checks them in that order and
stops at the first problem with a message meant for that person; an uploaded zip is extracted
safely (:func:`skill.images.archive.extract_zip`) into the data folder's ``uploads/<name>/``,
and the entries it refused are reported, never dropped silently.

Example:
    >>> inputs = prepare_build("spring", ["imagenet-lite0"], archive=zip_bytes)
    >>> build_catalog(inputs.images, catalog_path(inputs.name), inputs.csv,
    ...               encoders=inputs.encoders)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from skill.catalog.registry import check_catalog_name
from skill.images.archive import extract_zip
from skill.paths import data_dir


class IntakeError(ValueError):
    """The inputs cannot make a catalog; the message says what to give instead.

    Attributes:
        refused: ``(zip entry, reason)`` of the entries an upload left out before the problem.
    """

    def __init__(self, message: str, refused: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.refused = list(refused)


@dataclass(frozen=True)
class BuildInputs:
    """Checked inputs of one build.

    Attributes:
        name: The catalog name, stripped.
        images: The folder of photos (the extracted upload for a zip).
        csv: The label CSV, or ``None`` to index the photos without labels.
        encoders: Encoder names to embed with.
        refused: ``(zip entry, reason)`` of every entry of an upload left out.
    """

    name: str
    images: Path
    csv: Path | None
    encoders: tuple[str, ...]
    refused: tuple[tuple[str, str], ...] = ()


def uploads_dir(name: str) -> Path:
    """Where the photos of an uploaded zip for catalog ``name`` are extracted."""
    return data_dir() / "uploads" / name


def prepare_build(
    name: str,
    encoders: Sequence[str],
    folder: str | os.PathLike = "",
    archive: bytes | None = None,
    csv: str = "",
) -> BuildInputs:
    """Checks a build request and resolves its photos and CSV.

    Args:
        name: Catalog name (see :func:`skill.catalog.registry.check_catalog_name`).
        encoders: Encoder names; at least one.
        folder: A folder of photos on this machine (``~`` expands); used when ``archive`` is
            ``None``.
        archive: Bytes of an uploaded zip of photos (and perhaps a CSV).
        csv: The label CSV as typed: a path, or a file name inside the photos; empty finds a
            lone CSV among the photos (:func:`find_csv`).

    Returns:
        The :class:`BuildInputs`.

    Raises:
        IntakeError: A bad name, no encoder, no photos given, no folder at ``folder``, or a zip
            without one usable photo (its refused entries ride along).
        skill.images.archive.ArchiveError: ``archive`` is not a readable zip.
    """
    try:
        name = check_catalog_name(name)
    except ValueError as error:
        raise IntakeError(str(error)) from None
    if not encoders:
        raise IntakeError("Choose at least one encoder.")
    refused: list[tuple[str, str]] = []
    if archive is not None:
        images = uploads_dir(name)
        report = extract_zip(archive, images)
        refused = report.refused
        if not report.extracted:
            raise IntakeError("The zip holds no usable photo.", refused)
    elif str(folder).strip():
        images = Path(str(folder).strip()).expanduser()
        if not images.is_dir():
            raise IntakeError(f"No folder at {images}.")
    else:
        raise IntakeError("Give a folder of photos or upload a zip.")
    return BuildInputs(name, images, find_csv(images, csv), tuple(encoders), tuple(refused))


def find_csv(images: Path, given: str = "") -> Path | None:
    """The label CSV: the given path (absolute, or inside ``images``), else a lone CSV there.

    Args:
        images: The folder of photos.
        given: What was typed; blank searches ``images`` (and its sub-folders) for ``*.csv``.

    Returns:
        The path (not checked: a missing CSV is :func:`build_catalog`'s to report), or ``None``
        when nothing was given and the photos hold no CSV or several.
    """
    given = given.strip()
    if given:
        path = Path(given).expanduser()
        return path if path.is_absolute() else images / path
    found = sorted(Path(images).rglob("*.csv"))
    return found[0] if len(found) == 1 else None
