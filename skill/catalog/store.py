"""A catalog: product photos indexed by one or more encoders, stored as a folder.

Layout::

    my-catalog/
      CURRENT                  name of the live version folder (replaced atomically)
      v-<time>-<pid>/
        manifest.json          images folder, counts, encoders (name, digest, dim), versions
        items.csv              one row per indexed photo (item columns + dominant colour);
                               items.parquet instead in large catalogs of the Ray engine
        skipped.csv            every photo left out, with the reason
        <encoder>/embeddings.npy   shape (n, dim), row-aligned with items.csv
        <encoder>/index.faiss      faiss index over the embeddings
        <encoder>/map.npy          shape (n, 2), the 2-D map
      cache/<encoder>-<digest>/    embeddings computed so far (resume, incremental re-index)

:mod:`skill.catalog.build` writes a complete new version folder and then replaces ``CURRENT``;
this module opens the live version read-only.

Example:
    >>> catalog = open_catalog("catalogs/spring")
    >>> catalog.embeddings("imagenet-lite0").shape
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from skill.catalog.designs import DesignTable
from skill.catalog.index import load_index
from skill.catalog.pointer import current_version
from skill.catalog.same_design import SameDesignRule

FORMAT_VERSION = 1


class CatalogError(ValueError):
    """A catalog folder is missing or damaged; the message says what to do."""


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

    @property
    def designs(self) -> DesignTable:
        """Design code of every row and the rows of every design (built on first use)."""
        if self._designs is None:
            self._designs = DesignTable.from_items(self.items)
        return self._designs

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
    def images_dir(self) -> Path:
        return Path(self.manifest["images_dir"])

    def image_path(self, row: int) -> Path:
        """Absolute path of the photo in ``row``."""
        return self.images_dir / self.items["image_path"].iat[row]

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
    return Catalog(path, version, manifest, items, skipped)
