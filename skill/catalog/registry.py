"""Where catalogs live on this machine, and which exist.

Layout under the data folder (``<project>/data``, or ``$SKILL_DATA_DIR`` when set)::

    data/
      demo/catalog/            the demo catalog (``python -m skill demo``)
      catalogs/<name>/         catalogs built in the app or with ``python -m skill index``
      uploads/<name>/          photos extracted from uploaded zip archives

Listing reads only each catalog's ``manifest.json``, so it is instant however large they are.

Example:
    >>> [entry.name for entry in list_catalogs()]
    ['demo', 'spring-2025']
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from skill.catalog.pointer import current_version
from skill.paths import data_dir

DEMO_NAME = "demo"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def catalogs_dir() -> Path:
    """Folder holding the user's catalogs, one sub-folder each."""
    return data_dir() / "catalogs"


def demo_catalog_dir() -> Path:
    """Folder of the demo catalog."""
    return data_dir() / "demo" / "catalog"


@dataclass(frozen=True)
class CatalogEntry:
    """One catalog, as described by its manifest.

    Attributes:
        name: Folder name (``demo`` for the demo catalog).
        path: The catalog folder.
        items: Photos indexed.
        skipped: Photos left out at build time.
        designs: Distinct design ids (0 when unlabelled).
        encoders: Encoder names it was embedded with.
        created: ISO time of its last build.
    """

    name: str
    path: Path
    items: int
    skipped: int
    designs: int
    encoders: tuple[str, ...]
    created: str

    @property
    def is_demo(self) -> bool:
        return self.name == DEMO_NAME


def check_catalog_name(name: str) -> str:
    """Returns ``name`` stripped if it can be a catalog folder name.

    Raises:
        ValueError: Empty, reserved, or not letters, digits, ``-``, ``_``, ``.`` (64 at most).
    """
    name = name.strip()
    if name == DEMO_NAME:
        raise ValueError("'demo' is reserved for the demo catalog; choose another name")
    if not _NAME.match(name):
        raise ValueError(
            "a catalog name is 1-64 letters, digits, '-', '_' or '.', starting with a letter "
            f"or digit; got {name!r}"
        )
    return name


def read_entry(path: str | os.PathLike, name: str | None = None) -> CatalogEntry | None:
    """The entry of one catalog folder, or ``None`` if it holds no readable catalog."""
    path = Path(path)
    version = current_version(path)
    if version is None:
        return None
    try:
        manifest = json.loads((path / version / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    counts = manifest.get("counts", {})
    return CatalogEntry(
        name=name or path.name,
        path=path,
        items=int(counts.get("items", 0)),
        skipped=int(counts.get("skipped", 0)),
        designs=int(counts.get("designs", 0)),
        encoders=tuple(manifest.get("encoders", {})),
        created=str(manifest.get("created", "")),
    )


def list_catalogs() -> list[CatalogEntry]:
    """Every readable catalog: the demo catalog first (if built), then the others by name."""
    entries = []
    demo = read_entry(demo_catalog_dir(), DEMO_NAME)
    if demo is not None:
        entries.append(demo)
    root = catalogs_dir()
    if root.is_dir():
        for folder in sorted(root.iterdir(), key=lambda p: p.name.lower()):
            if folder.is_dir() and not folder.name.startswith("."):
                entry = read_entry(folder)
                if entry is not None and entry.name != DEMO_NAME:
                    entries.append(entry)
    return entries


def catalog_path(name: str) -> Path:
    """Folder of the catalog called ``name`` (the demo catalog for ``demo``)."""
    if name == DEMO_NAME:
        return demo_catalog_dir()
    return catalogs_dir() / check_catalog_name(name)
