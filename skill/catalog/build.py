"""Building a catalog: photos in, a complete new version folder out, then an atomic switch.

A build reads the items (:mod:`skill.catalog.source`), computes each photo's dominant colour,
embeds what the embedding cache lacks with every encoder, writes embeddings, faiss index and
2-D map per encoder into a staging folder, renames it into a version and switches ``CURRENT``
(:mod:`skill.catalog.pointer`). A crash at any point leaves the previous catalog loadable, and
the cache lets the next run resume without embedding finished photos again.

Example:
    >>> summary = build_catalog("photos/", "catalogs/spring", csv_path="photos/labels.csv",
    ...                         encoders=["imagenet-lite0"])
    >>> print(summary.describe())
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import skill
from skill.catalog.index import IndexConfig, build_index, save_index
from skill.catalog.pointer import switch_current
from skill.catalog.projection import MapConfig, fit_map
from skill.catalog.same_design import catalog_rule
from skill.catalog.source import ColumnMap, read_items
from skill.catalog.store import FORMAT_VERSION, Catalog, CatalogError, open_catalog
from skill.encoders.cache import EmbeddingCache, fingerprint
from skill.encoders.cache import safe_name as _safe
from skill.progress import Progress, silent

if TYPE_CHECKING:  # torch loads only when a build embeds photos, so the app starts fast
    from skill.encoders.registry import Encoder


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
            to 1e-4), ``onnx``, ``torch``, ``channels_last``, or ``onnx-int8``
            (:mod:`skill.encoders.quantize`: about twice as fast as ``onnx``, calibrated on a
            seeded sample of the catalog's photos; hit@1 and speed in ``benchmarks/README.md``;
            its vectors are cached apart from the float ones).
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
    loaded = _load_encoders(encoders, previous)
    caches = {
        encoder.name: EmbeddingCache(
            _cache_folder(catalog_dir, encoder, config), encoder.embedding_dim
        )
        for encoder in loaded
    }
    items, embedded = _add_colors(items, images_root, previous, report, loaded, caches, config)
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
    reused = {name: len(items) - count for name, count in embedded.items()}
    vectors = caches

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


def _load_encoders(encoders, previous) -> list[Encoder]:
    from skill.encoders.registry import create_encoder, reopen_encoder

    loaded = [create_encoder(e) if isinstance(e, str) else e for e in encoders]
    if previous is not None:  # extending keeps the encoders the catalog already had
        listed = {encoder.name for encoder in loaded}
        for name, entry in previous.manifest["encoders"].items():
            if name not in listed:
                loaded.append(reopen_encoder(name, entry.get("source", "")))
    return loaded


def _cache_folder(catalog_dir: Path, encoder, config: CatalogConfig) -> Path:
    """One cache per encoder weights; int8 vectors are not the float ones, so they get their own."""
    digest = encoder.digest
    if config.runtime == "onnx-int8":
        from skill.encoders.quantize import int8_cache_name

        digest = int8_cache_name(encoder)
    return catalog_dir / "cache" / f"{_safe(encoder.name)}-{digest}"


def _add_colors(
    items, images_root, previous, report, encoders=(), caches=None, config=CatalogConfig()
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Dominant colour per photo, reusing the previous catalog's for unchanged files, and the
    embeddings ``caches`` lack, from one decode per photo (:mod:`skill.catalog.ingest`).

    Returns:
        The items with ``color_hex`` and ``color_name`` (``""`` and the reason for a photo
        that cannot be decoded), and the number of photos embedded per encoder.
    """
    from skill.catalog.ingest import batch_model, draft_size, read_and_embed

    known = {}
    if previous is not None and "fingerprint" in previous.items:
        known = {
            row.fingerprint: (row.color_hex, row.color_name)
            for row in previous.items[["fingerprint", "color_hex", "color_name"]].itertuples()
        }
    keys = items["fingerprint"].tolist()
    hexes, names = [""] * len(items), [""] * len(items)
    for i, key in enumerate(keys):
        if key in known:
            hexes[i], names[i] = known[key]
    colour = [key not in known for key in keys]
    needs = {e.name: [key not in caches[e.name] for key in keys] for e in encoders}
    todo = [i for i in range(len(items)) if colour[i] or any(n[i] for n in needs.values())]
    active = [e for e in encoders if any(needs[e.name])]
    paths = [images_root / path for path in items["image_path"]]
    sample = np.random.default_rng(0).permutation(len(paths))[:1024]  # int8 calibration
    models = {
        e.name: batch_model(e, config.runtime, [paths[i] for i in sample], caches[e.name].folder)
        for e in active
    }
    stage = "reading colours" + (" and embedding with " + ", ".join(models) if models else "")
    embedded = {e.name: 0 for e in encoders}
    waiting = {name: ([], []) for name in models}  # cache part being filled, per encoder
    done = 0
    report(stage, 0, len(todo))
    for batch in read_and_embed(
        paths,
        models,
        {e.name: e.preprocess for e in active},
        {e.name: e.embedding_dim for e in active},
        colour,
        needs,
        todo,
        config.batch_size,
        size=draft_size([e.preprocess for e in encoders]) if encoders else None,
    ):
        for i, (hex_code, name) in batch.colours.items():
            hexes[i], names[i] = hex_code, name
        for i, reason in batch.failures.items():
            hexes[i], names[i] = "", reason
        for name, (positions, vectors) in batch.vectors.items():
            waiting[name][0].extend(keys[i] for i in positions)
            waiting[name][1].append(vectors)
            embedded[name] += len(positions)
        for name, (part_keys, part_vectors) in waiting.items():
            if len(part_keys) >= config.part_size:
                caches[name].put(part_keys, np.concatenate(part_vectors))
                waiting[name] = ([], [])
        done += len(batch.positions)
        report(stage, done, len(todo))
    for name, (part_keys, part_vectors) in waiting.items():
        caches[name].put(part_keys, np.concatenate(part_vectors) if part_vectors else None)
    items = items.copy()
    items["color_hex"], items["color_name"] = hexes, names
    return items, embedded


def _write_version(
    catalog_dir, images_root, items, skipped, encoders, caches, config, report, **engine
) -> str:
    """Writes a complete version folder and returns its name (``CURRENT`` is not switched).

    ``caches[name].get(keys)`` gives each encoder's embeddings, in memory or as a memory map
    (the Ray engine's, :mod:`skill.catalog.ray_build`, which also passes ``engine``: recorded
    in the manifest; ``items_format="parquet"`` writes ``items.parquet``).
    """
    items_format = engine.pop("items_format", "csv")
    catalog_dir.mkdir(parents=True, exist_ok=True)
    name = f"v-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    staging = catalog_dir / f".{name}.tmp"
    staging.mkdir()
    encoder_entries = {}
    for encoder in encoders:
        xb = caches[encoder.name].get(items["fingerprint"].tolist())
        folder = staging / _safe(encoder.name)
        folder.mkdir()
        _save_embeddings(folder / "embeddings.npy", xb)
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
            "same_design": _catalog_rule(xb, items, encoder.info.config.get("same_design")),
        }
    if items_format == "parquet":  # a million rows: a tenth of the CSV's bytes and read time
        items.astype(str).to_parquet(staging / "items.parquet", index=False)
    else:
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
    if engine:
        manifest["engine"] = engine
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    staging.rename(catalog_dir / name)
    return name


def _save_embeddings(path: Path, xb: np.ndarray) -> None:
    """``np.save``, except that an assembled memory map (:data:`ASSEMBLED_PREFIX`) is moved."""
    filename = getattr(xb, "filename", None)
    if isinstance(xb, np.memmap) and filename and Path(filename).name.startswith(ASSEMBLED_PREFIX):
        os.replace(filename, path)  # the map stays readable: same file, new name
    else:
        np.save(path, xb)


ASSEMBLED_PREFIX = ".assembled-"
"""Name prefix of an ``.npy`` memory map assembled in the catalog folder for one build."""
RULE_ROWS = 200_000
"""Above this many rows the same-design rule is refitted on a seeded sample of whole designs."""


def _catalog_rule(xb, items, shipped):
    """:func:`catalog_rule`, on a sample of whole designs above :data:`RULE_ROWS` rows."""
    if len(items) <= RULE_ROWS:
        return catalog_rule(xb, items, shipped)
    from skill.catalog.designs import design_keys

    keys = design_keys(items)
    designs, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    order = np.random.default_rng(0).permutation(len(designs))
    chosen = order[: int(np.searchsorted(np.cumsum(counts[order]), RULE_ROWS)) + 1]
    rows = np.flatnonzero(np.isin(inverse, chosen))
    sample = np.ascontiguousarray(xb[rows], dtype=np.float32)
    return catalog_rule(sample, items.iloc[rows].reset_index(drop=True), shipped)


def _try_open(path: Path) -> Catalog | None:
    try:
        return open_catalog(path)
    except CatalogError:
        return None
