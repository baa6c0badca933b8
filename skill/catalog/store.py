"""A catalog: product photos indexed by one or more encoders, stored as a folder.

Layout::

    my-catalog/
      CURRENT                  name of the live version folder (replaced atomically)
      LOCK                     held by the build writing now (:mod:`skill.catalog.lock`)
      v-<time>-<pid>/
        manifest.json          sources, counts, encoders (name, digest, dim), versions
        items.csv              one row per indexed photo (item columns, its source, colour);
                               items.parquet instead in large catalogs of the Ray engine
        skipped.csv            every photo left out, with the reason and its source
        <encoder>/embeddings.npy   shape (n, dim), row-aligned with items.csv
        <encoder>/index.faiss      faiss index over the embeddings
        <encoder>/map.npy          shape (n, 2), the 2-D map
        attributes/                predicted attributes (skill.catalog.attributes), optional
      cache/<encoder>-<digest>/    embeddings computed so far (resume, incremental re-index)

:mod:`skill.catalog.build` writes a complete new version folder and then replaces ``CURRENT``;
this module opens the live version read-only.

A catalog remembers its sources (:class:`CatalogSource`: an images folder, its CSV and column
mapping); each row names its source in the ``source`` column, and its photo lives under that
source's folder (:meth:`Catalog.image_path`). A catalog written before sources were recorded
has one source, its manifest's ``images_dir``.

Example:
    >>> catalog = open_catalog("catalogs/spring")
    >>> catalog.embeddings("imagenet-lite0").shape
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from skill.catalog.designs import DesignTable
from skill.catalog.index import load_index
from skill.catalog.pointer import current_version
from skill.catalog.same_design import SameDesignRule

FORMAT_VERSION = 1
SOURCE_COLUMN = "source"
"""Column of ``items.csv`` and ``skipped.csv`` holding the row's :attr:`CatalogSource.key`."""


class CatalogError(ValueError):
    """A catalog folder is missing or damaged; the message says what to do."""


@dataclass(frozen=True)
class CatalogSource:
    """One input a catalog was built from: a folder of photos and, optionally, its label CSV.

    A catalog has at most one source per folder: indexing the folder again refreshes it (with
    the CSV and columns recorded here, unless others are given).

    Attributes:
        key: Short id the rows of this source carry in their ``source`` column (``s1``).
        images_dir: The photos' folder (absolute); row paths are relative to it.
        csv: The label CSV (absolute), or ``None`` when every photo of the folder is an item.
        columns: CSV columns named explicitly (standard field -> column); the rest are guessed.
        items: Rows of this source in the catalog.
        indexed: ISO time this source was last indexed (UTC).
    """

    key: str
    images_dir: Path
    csv: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)
    items: int = 0
    indexed: str = ""

    def matches(self, images_dir: str | os.PathLike) -> bool:
        """Says whether indexing ``images_dir`` refreshes this source (one source per folder)."""
        return Path(images_dir).resolve() == self.images_dir

    def describe(self) -> str:
        """The folder's name, and the CSV's, for messages (never where they are on the
        server: the app shows these to its users)."""
        return f"folder {self.images_dir.name!r}" + (f" with {self.csv.name}" if self.csv else "")

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "images_dir": str(self.images_dir),
            "csv": str(self.csv) if self.csv else None,
            "columns": dict(self.columns),
            "items": self.items,
            "indexed": self.indexed,
        }

    @classmethod
    def from_json(cls, data: dict) -> CatalogSource:
        return cls(
            key=str(data["key"]),
            images_dir=Path(data["images_dir"]),
            csv=Path(data["csv"]) if data.get("csv") else None,
            columns={str(k): str(v) for k, v in (data.get("columns") or {}).items()},
            items=int(data.get("items", 0)),
            indexed=str(data.get("indexed", "")),
        )


def manifest_sources(manifest: dict) -> list[CatalogSource]:
    """The sources a manifest records; for a catalog written before sources were recorded,
    one source: its ``images_dir`` (its CSV was not recorded)."""
    if "sources" in manifest:
        return [CatalogSource.from_json(entry) for entry in manifest["sources"]]
    counts = manifest.get("counts", {})
    return [
        CatalogSource(
            key="s1",
            images_dir=Path(manifest.get("images_dir", "")),
            items=int(counts.get("items", 0)),
            indexed=str(manifest.get("created", "")),
        )
    ]


class Catalog:
    """A built catalog, opened read-only. Arrays and indexes load on first use.

    Attributes:
        path: The catalog folder.
        version: The live version folder.
        manifest: The parsed ``manifest.json``.
        items: One row per photo.
        skipped: Photos left out at build time, with reasons.
    """

    def __init__(
        self, path: Path, version: Path, manifest: dict, items: pd.DataFrame, skipped: pd.DataFrame
    ) -> None:
        self.path = path
        self.version = version
        self.manifest = manifest
        self.items = items
        self.skipped = skipped
        self._indexes: dict[str, object] = {}
        self._arrays: dict[tuple[str, str], np.ndarray] = {}
        self._designs: DesignTable | None = None
        self._attributes: object = None
        self._roots: dict[str, Path] | None = None

    @property
    def designs(self) -> DesignTable:
        """Design code of every row and the rows of every design (built on first use)."""
        if self._designs is None:
            self._designs = DesignTable.from_items(self.items)
        return self._designs

    @property
    def attributes(self):
        """The photos' predicted attributes
        (:class:`skill.catalog.attribute_table.CatalogAttributes`), or ``None`` when the
        catalog was built without them."""
        if self._attributes is None:
            from skill.catalog.attribute_table import read_attributes

            on_disk = bool(self.version.name)  # an in-memory catalog has no version folder
            found = read_attributes(self.version, len(self.items)) if on_disk else None
            self._attributes = found or False
        return self._attributes or None

    @classmethod
    def from_arrays(
        cls, items: pd.DataFrame, embeddings: dict[str, np.ndarray], indexes: dict[str, object]
    ) -> Catalog:
        """An in-memory catalog over vectors already at hand (notebooks, benchmarks at scale).

        Args:
            items: Item table (see :mod:`skill.catalog.source`); ``design_id`` and ``item_id``
                at least.
            embeddings: Encoder name -> shape (n, dim), unit norm, row-aligned with ``items``.
            indexes: Encoder name -> its faiss index over those rows.
        """
        manifest = {
            "images_dir": "",
            "encoders": {name: {"folder": name, "digest": ""} for name in embeddings},
        }
        catalog = cls(Path(), Path(), manifest, items, pd.DataFrame())
        for name, vectors in embeddings.items():
            if len(vectors) != len(items):
                raise ValueError(f"{name}: {len(vectors)} embeddings for {len(items)} items")
            catalog._arrays[(name, "embeddings.npy")] = vectors
            catalog._indexes[name] = indexes[name]
        return catalog

    @property
    def encoders(self) -> list[str]:
        """Names of the encoders this catalog was embedded with."""
        return list(self.manifest["encoders"])

    @property
    def sources(self) -> list[CatalogSource]:
        """The folders (and CSVs) this catalog was built from, oldest first."""
        return manifest_sources(self.manifest)

    @property
    def images_dir(self) -> Path:
        """The folder of the first source (of the only one, for most catalogs)."""
        return Path(self.manifest["images_dir"])

    def image_path(self, row: int) -> Path:
        """Absolute path of the photo in ``row``, under its own source's folder."""
        if self._roots is None:
            self._roots = {source.key: source.images_dir for source in self.sources}
        relative = self.items["image_path"].iat[row]
        if SOURCE_COLUMN not in self.items:
            return self.images_dir / relative
        return self._roots.get(self.items[SOURCE_COLUMN].iat[row], self.images_dir) / relative

    def _folder(self, encoder: str) -> Path:
        if encoder not in self.manifest["encoders"]:
            raise CatalogError(f"catalog has no embeddings for {encoder!r}; it has {self.encoders}")
        return self.version / self.manifest["encoders"][encoder]["folder"]

    def _array(self, encoder: str, name: str) -> np.ndarray:
        key = (encoder, name)
        if key not in self._arrays:
            # Memory-mapped: a million-row catalog reads only the rows a search re-scores.
            self._arrays[key] = np.load(
                self._folder(encoder) / name, mmap_mode="r", allow_pickle=False
            )
        return self._arrays[key]

    def embeddings(self, encoder: str) -> np.ndarray:
        """Shape (n, dim), row-aligned with :attr:`items`."""
        return self._array(encoder, "embeddings.npy")

    def coords(self, encoder: str) -> np.ndarray:
        """The 2-D map, shape (n, 2)."""
        return self._array(encoder, "map.npy")

    def index(self, encoder: str):
        """The faiss index of one encoder."""
        if encoder not in self._indexes:
            self._indexes[encoder] = load_index(self._folder(encoder) / "index.faiss")
        return self._indexes[encoder]

    def same_design_rule(self, encoder: str) -> SameDesignRule | None:
        """The same-design rule this catalog keeps for ``encoder``, or ``None``.

        A build keeps the rule refitted on the catalog's own labelled designs where it has
        them, else the one the encoder ships with (see :mod:`skill.catalog.same_design`).
        """
        record = self.manifest["encoders"].get(encoder, {}).get("same_design")
        if not record:
            return None
        try:
            return SameDesignRule.from_dict(record)
        except ValueError:
            return None

    def encoder_digest(self, encoder: str) -> str:
        return self.manifest["encoders"][encoder]["digest"]


def open_catalog(path: str | os.PathLike) -> Catalog:
    """Opens the live version of a catalog folder.

    Raises:
        CatalogError: No catalog there, or its files are damaged.
    """
    path = Path(path)
    live = current_version(path)
    if live is None:
        raise CatalogError(f"no catalog at {path} (build one with `python -m skill index`)")
    version = path / live
    try:
        manifest = json.loads((version / "manifest.json").read_text())
        if (version / "items.parquet").is_file():
            items = pd.read_parquet(version / "items.parquet").astype(str)
        else:
            items = pd.read_csv(version / "items.csv", dtype=str, keep_default_na=False)
        skipped = pd.read_csv(version / "skipped.csv", dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise CatalogError(f"catalog at {path} is damaged ({error}); rebuild it") from None
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise CatalogError(f"catalog at {path} was written by a newer SkiLL; upgrade SkiLL")
    try:
        first = manifest_sources(manifest)[0].key
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise CatalogError(f"catalog at {path} is damaged ({error!r}); rebuild it") from None
    for table in (items, skipped):
        if SOURCE_COLUMN not in table:  # written before sources were recorded: one source
            table[SOURCE_COLUMN] = first
    return Catalog(path, version, manifest, items, skipped)
