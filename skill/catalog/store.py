"""A catalog: product photos indexed by one or more encoders, stored as a folder.

Layout::

    my-catalog/
      CURRENT                  name of the live version folder (replaced atomically)
      v-<time>-<pid>/
        manifest.json          images folder, counts, encoders (name, digest, dim), versions
        items.csv              one row per indexed photo (item columns + dominant colour)
        skipped.csv            every photo left out, with the reason
        <encoder>/embeddings.npy   shape (n, dim), row-aligned with items.csv
        <encoder>/index.faiss      faiss index over the embeddings
        <encoder>/map.npy          shape (n, 2), the 2-D map
      cache/<encoder>-<digest>/    embeddings computed so far (resume, incremental re-index)

A build writes a complete new version folder and then replaces ``CURRENT``: a crash at any
point leaves the previous catalog loadable, and the embedding cache lets the next run resume
without embedding finished photos again.

Example:
    >>> summary = build_catalog("photos/", "catalogs/spring", csv_path="photos/labels.csv",
    ...                         encoders=["imagenet-lite0"])
    >>> catalog = open_catalog("catalogs/spring")
    >>> catalog.embeddings("imagenet-lite0").shape
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import skill
from skill.catalog.designs import DesignTable
from skill.catalog.index import IndexConfig, build_index, load_index, save_index
from skill.catalog.pointer import current_version, switch_current
from skill.catalog.projection import MapConfig, fit_map
from skill.catalog.source import ColumnMap, read_items
from skill.encoders.cache import EmbeddingCache, fingerprint
from skill.encoders.cache import safe_name as _safe
from skill.images.colors import dominant_color
from skill.images.decode import ImageLoadError, load_image
from skill.progress import Progress, offset, silent

if TYPE_CHECKING:  # torch loads only when a build embeds photos, so the app starts fast
    from skill.encoders.registry import Encoder

FORMAT_VERSION = 1


class CatalogError(ValueError):
    """A catalog folder is missing or damaged; the message says what to do."""


@dataclass(frozen=True)
class CatalogConfig:
    """How to build a catalog.

    Attributes:
        batch_size: Images per forward pass. Typical 16-64.
        part_size: Embeddings written to the cache per part: what a crash can lose. Typical
            128-1024.
        index: faiss index settings.
        map: 2-D map settings.
        runtime: How photos are embedded (:func:`skill.encoders.embedding.embed_images`): ``auto``
            (ONNX Runtime where it is installed, about 3x eager torch on a CPU; outputs equal
            to 1e-4), ``onnx``, ``torch`` or ``channels_last``.
    """

    batch_size: int = 32
    part_size: int = 256
    index: IndexConfig = field(default_factory=IndexConfig)
    map: MapConfig = field(default_factory=MapConfig)
    runtime: str = "auto"


@dataclass
class BuildSummary:
    """What a build did, for the CLI and the app."""

    catalog: Path
    items: int
    skipped: pd.DataFrame
    embedded: dict[str, int]
    reused: dict[str, int]
    seconds: float

    def describe(self) -> str:
        """A short human summary."""
        parts = [f"{self.items} photos indexed in {self.seconds:.1f} s"]
        for name in self.embedded:
            parts.append(f"{name}: {self.embedded[name]} embedded, {self.reused[name]} reused")
        parts.append(f"{len(self.skipped)} skipped")
        return "; ".join(parts)


def build_catalog(
    images_dir: str | os.PathLike,
    catalog_dir: str | os.PathLike,
    csv_path: str | os.PathLike | None = None,
    columns: ColumnMap = ColumnMap(),
    encoders: Sequence[str | Encoder] = ("imagenet-lite0",),
    config: CatalogConfig = CatalogConfig(),
    progress: Progress | None = None,
) -> BuildSummary:
    """Builds or extends a catalog; see the module docstring for the layout and guarantees.

    Args:
        images_dir: Folder of photos.
        catalog_dir: Catalog folder (created, or updated in place).
        csv_path: Optional label CSV.
        columns: CSV column names.
        encoders: Encoder names, paths or loaded encoders. An existing catalog keeps the
            encoders it had unless they are listed again.
        config: Build settings.
        progress: Every stage of the build (:mod:`skill.progress`).

    Returns:
        A :class:`BuildSummary`.
    """
    start = time.perf_counter()
    report = progress or silent
    images_root = Path(images_dir).resolve()
    catalog_dir = Path(catalog_dir)
    table = read_items(images_root, csv_path, columns)
    items = table.items.copy()
    skipped = [table.problems]
    items["fingerprint"] = [fingerprint(images_root / rel, rel) for rel in items["image_path"]]
    previous = _try_open(catalog_dir)
    items = _add_colors(items, images_root, previous, report)
    failed = items["color_hex"] == ""
    skipped.append(
        pd.DataFrame(
            {
                "image_path": items.loc[failed, "image_path"],
                "reason": items.loc[failed, "color_name"],
            }
        )
    )
    items = items[~failed].reset_index(drop=True)

    from skill.encoders.registry import create_encoder, reopen_encoder

    loaded = [create_encoder(e) if isinstance(e, str) else e for e in encoders]
    if previous is not None:  # extending keeps the encoders the catalog already had
        listed = {encoder.name for encoder in loaded}
        for name, entry in previous.manifest["encoders"].items():
            if name not in listed:
                loaded.append(reopen_encoder(name, entry.get("source", "")))
    embedded, reused, vectors = {}, {}, {}
    for encoder in loaded:
        cache = EmbeddingCache(
            catalog_dir / "cache" / f"{_safe(encoder.name)}-{encoder.digest}", encoder.embedding_dim
        )
        todo = [i for i, key in enumerate(items["fingerprint"]) if key not in cache]
        reused[encoder.name] = len(items) - len(todo)
        failures = _embed_into_cache(encoder, items, images_root, todo, cache, config, report)
        embedded[encoder.name] = len(todo) - len(failures)
        if failures:
            bad = items.index.isin(list(failures))
            skipped.append(
                pd.DataFrame(
                    {
                        "image_path": items.loc[bad, "image_path"],
                        "reason": [failures[i] for i in items.index[bad]],
                    }
                )
            )
            items = items[~bad].reset_index(drop=True)
        vectors[encoder.name] = cache

    version = _write_version(
        catalog_dir,
        images_root,
        items,
        pd.concat(skipped, ignore_index=True),
        loaded,
        vectors,
        config,
        report,
    )
    switch_current(catalog_dir, version)
    return BuildSummary(
        catalog=catalog_dir,
        items=len(items),
        skipped=pd.concat(skipped, ignore_index=True),
        embedded=embedded,
        reused=reused,
        seconds=time.perf_counter() - start,
    )


def _add_colors(items, images_root, previous, report) -> pd.DataFrame:
    """Dominant colour per photo; reuses the previous catalog's for unchanged files."""
    known = {}
    if previous is not None and "fingerprint" in previous.items:
        known = {
            row.fingerprint: (row.color_hex, row.color_name)
            for row in previous.items[["fingerprint", "color_hex", "color_name"]].itertuples()
        }
    hexes, names = [""] * len(items), [""] * len(items)
    todo = []
    for i, key in enumerate(items["fingerprint"]):
        if key in known:
            hexes[i], names[i] = known[key]
        else:
            todo.append(i)

    def work(i: int) -> tuple[int, str, str]:
        try:
            image = load_image(images_root / items["image_path"].iat[i], draft_size=128)
        except ImageLoadError as error:
            return i, "", str(error)
        swatch = dominant_color(image)
        return i, swatch.hex, swatch.name

    with ThreadPoolExecutor(max_workers=2) as pool:
        for done, (i, hex_code, name) in enumerate(pool.map(work, todo), start=1):
            hexes[i], names[i] = hex_code, name
            if done % 64 == 0 or done == len(todo):
                report("reading colours", done, len(todo))
    items = items.copy()
    items["color_hex"], items["color_name"] = hexes, names
    return items


def _embed_into_cache(encoder, items, images_root, todo, cache, config, report) -> dict[int, str]:
    from skill.encoders.embedding import embed_images

    failures: dict[int, str] = {}
    stage = f"embedding with {encoder.name}"
    report(stage, 0, len(todo))
    for start in range(0, len(todo), config.part_size):
        part = todo[start : start + config.part_size]
        paths = [images_root / items["image_path"].iat[i] for i in part]

        step = offset(report, stage, start, len(todo))
        result = embed_images(
            encoder, paths, config.batch_size, progress=step, runtime=config.runtime
        )
        keys = [items["fingerprint"].iat[part[j]] for j in result.indices]
        cache.put(keys, result.embeddings)
        failures.update({part[j]: reason for j, reason in result.failures})
    return failures


def _write_version(
    catalog_dir, images_root, items, skipped, encoders, caches, config, report
) -> str:
    catalog_dir.mkdir(parents=True, exist_ok=True)
    name = f"v-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    staging = catalog_dir / f".{name}.tmp"
    staging.mkdir()
    encoder_entries = {}
    for encoder in encoders:
        xb = caches[encoder.name].get(items["fingerprint"].tolist())
        folder = staging / _safe(encoder.name)
        folder.mkdir()
        np.save(folder / "embeddings.npy", xb)
        report(f"indexing {encoder.name}", 0, 1)
        save_index(build_index(xb, config.index), folder / "index.faiss")
        report(f"mapping {encoder.name}", 0, 1)
        np.save(folder / "map.npy", fit_map(xb, config.map))
        report(f"mapping {encoder.name}", 1, 1)
        encoder_entries[encoder.name] = {
            "folder": _safe(encoder.name),
            "digest": encoder.digest,
            "dim": encoder.embedding_dim,
            "display_name": encoder.info.display_name,
            "role": encoder.info.role,
            "source": encoder.info.source,
        }
    items.to_csv(staging / "items.csv", index=False)
    skipped.to_csv(staging / "skipped.csv", index=False)
    manifest = {
        "format_version": FORMAT_VERSION,
        "images_dir": str(images_root),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "counts": {
            "items": len(items),
            "skipped": len(skipped),
            "designs": int(items["design_id"].replace("", np.nan).nunique()),
        },
        "encoders": encoder_entries,
        "config": asdict(config),
        "versions": {"skill": skill.__version__, "python": platform.python_version()},
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    staging.rename(catalog_dir / name)
    return name


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
        items = pd.read_csv(version / "items.csv", dtype=str, keep_default_na=False)
        skipped = pd.read_csv(version / "skipped.csv", dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise CatalogError(f"catalog at {path} is damaged ({error}); rebuild it") from None
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise CatalogError(f"catalog at {path} was written by a newer SkiLL; upgrade SkiLL")
    return Catalog(path, version, manifest, items, skipped)


def _try_open(path: Path) -> Catalog | None:
    try:
        return open_catalog(path)
    except CatalogError:
        return None
