"""The live version of a catalog folder: the ``CURRENT`` pointer, read and switched in one place.

A catalog folder holds complete version folders (``v-<time>-<pid>``) and a one-line ``CURRENT``
file naming the live one. A build writes a new version, then replaces ``CURRENT`` atomically, so
a reader sees either the old catalog or the new one, never a mix.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

POINTER = "CURRENT"


def current_version(catalog_dir: str | os.PathLike) -> str | None:
    """Name of the live version folder, or ``None`` when the folder holds no catalog."""
    try:
        version = (Path(catalog_dir) / POINTER).read_text().strip()
    except OSError:
        return None
    return version or None


def switch_current(catalog_dir: str | os.PathLike, version: str) -> None:
    """Points ``CURRENT`` at ``version``; keeps the previous version one build longer.

    A reader that opened the previous version before the switch (an app session) loads its
    arrays lazily from that folder, so it stays until the next build replaces it. Staging
    folders (``.v-*.tmp``) are not touched here: each build removes its own, and torn ones of
    dead builds are swept under the catalog's lock (:mod:`skill.catalog.build`).
    """
    catalog_dir = Path(catalog_dir)
    old = current_version(catalog_dir)
    temporary = catalog_dir / f".{POINTER}.tmp"
    temporary.write_text(version + "\n")
    os.replace(temporary, catalog_dir / POINTER)
    for stale in catalog_dir.glob("v-*"):
        if stale.name not in (version, old):
            shutil.rmtree(stale, ignore_errors=True)
