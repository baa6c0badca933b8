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
from concurrent.futures import ThreadPoolExecutor
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
from skill.images.colors import dominant_color
from skill.images.decode import ImageLoadError, load_image
from skill.progress import Progress, offset, silent

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

    report("reading colours", 0, len(todo))
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
        report(f"indexing {encoder.name}", 0, len(xb))
        save_index(build_index(xb, config.index), folder / "index.faiss")
        report(f"indexing {encoder.name}", len(xb), len(xb))
        np.save(folder / "map.npy", fit_map(xb, config.map, report, f"mapping {encoder.name}"))
        report(f"same-design rule for {encoder.name}", 0, 1, "fits")
        encoder_entries[encoder.name] = {
            "folder": _safe(encoder.name),
            "digest": encoder.digest,
            "dim": encoder.embedding_dim,
            "display_name": encoder.info.display_name,
            "role": encoder.info.role,
            "source": encoder.info.source,
            "same_design": catalog_rule(xb, items, encoder.info.config.get("same_design")),
        }
        report(f"same-design rule for {encoder.name}", 1, 1, "fits")
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


def _try_open(path: Path) -> Catalog | None:
    try:
        return open_catalog(path)
    except CatalogError:
        return None
