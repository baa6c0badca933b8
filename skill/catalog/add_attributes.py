"""Attributes for a built catalog, in a new version, without embedding or mapping again.

``python -m skill attributes --catalog C --add`` runs :func:`add_attributes`: a catalog built
without attributes (``--attributes none``), or with another model, gets the attribute model's
predictions (:mod:`skill.catalog.attributes`) under the catalog's lock, in a copy of its live
version, then ``CURRENT`` switches to it (:mod:`skill.catalog.pointer`).

Example:
    >>> version = add_attributes("catalogs/spring")
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from skill.catalog.attribute_table import ATTRIBUTES_FOLDER
from skill.catalog.attributes import start_attributes
from skill.catalog.lock import catalog_lock
from skill.catalog.pointer import switch_current
from skill.catalog.store import SOURCE_COLUMN
from skill.progress import Progress


def add_attributes(
    catalog_dir: str | Path,
    model: str = "auto",
    batch_size: int = 32,
    runtime: str = "auto",
    progress: Progress | None = None,
) -> Path:
    """Gives a built catalog attributes (or another model's) without embedding or mapping again.

    The live version is copied into a new one (files hard-linked where the file system allows:
    versions are never changed in place), the attribute model runs its own pass over the photos
    whose probabilities are not cached, and ``CURRENT`` switches to the new version.

    Args:
        catalog_dir: A built catalog.
        model: ``auto`` (the shipped model), a model name or folder.
        batch_size: Photos per forward pass.
        runtime: ``auto``, ``onnx`` or ``torch``.
        progress: Reports the attribute pass.

    Returns:
        The new version folder.

    Raises:
        ValueError: No attribute model is installed (``auto``) or the catalog lacks file
            fingerprints.
        CatalogBusyError: A build of this catalog is running.
    """
    from skill.catalog.store import open_catalog

    with catalog_lock(Path(catalog_dir), f"add attributes to {Path(catalog_dir).name!r}"):
        return _add_attributes(open_catalog(catalog_dir), model, batch_size, runtime, progress)


def _add_attributes(catalog, model, batch_size, runtime, progress) -> Path:
    catalog_dir = catalog.path
    items = catalog.items
    if "fingerprint" not in items:
        raise ValueError(f"{catalog_dir} has no file fingerprints; rebuild it")
    roots = {source.key: source.images_dir for source in catalog.sources}
    step = start_attributes(items, roots, catalog_dir, [], model, lambda e: None,
                            batch_size, 256, runtime, progress, SOURCE_COLUMN)  # fmt: skip
    if step is None:
        raise ValueError("no attribute model is installed (assets/attributes)")
    name = f"v-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    staging = Path(catalog_dir) / f".{name}.tmp"

    def link(source: str, target: str) -> None:
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    shutil.copytree(catalog.version, staging, copy_function=link,
                    ignore=shutil.ignore_patterns(ATTRIBUTES_FOLDER))  # fmt: skip
    step.finish(staging, items)
    staging.rename(Path(catalog_dir) / name)
    switch_current(catalog_dir, name)
    return Path(catalog_dir) / name
