"""Writing one catalog version: embeddings, faiss index, 2-D map and same-design rule per
encoder, the item tables and the manifest, into a staging folder renamed into place.

A build (:mod:`skill.catalog.build`, :mod:`skill.catalog.ray_build`) calls
:func:`write_version` under the catalog's lock once its rows and vectors are final; the new
version goes live when the build switches ``CURRENT`` (:mod:`skill.catalog.pointer`).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import skill
from skill.catalog.index import build_index, save_index
from skill.catalog.lock import pid_alive
from skill.catalog.projection import fit_map
from skill.catalog.same_design import catalog_rule
from skill.catalog.store import FORMAT_VERSION
from skill.encoders.cache import safe_name as _safe


def write_version(
    catalog_dir, sources, items, skipped, encoders, caches, config, report, **engine
) -> str:
    """Writes a complete version folder and returns its name (``CURRENT`` is not switched).

    ``caches[name].get(keys)`` gives each encoder's embeddings, in memory or as a memory map
    (the Ray engine's, :mod:`skill.catalog.ray_build`, which also passes ``engine``: recorded
    in the manifest; ``items_format="parquet"`` writes ``items.parquet``).
    """
    catalog_dir.mkdir(parents=True, exist_ok=True)
    _sweep_torn_staging(catalog_dir)
    name = f"v-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    staging = catalog_dir / f".{name}.tmp"
    staging.mkdir()
    try:
        _write_staging(staging, sources, items, skipped, encoders, caches, config, report, engine)
        staging.rename(catalog_dir / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # only this build's own staging folder
        raise
    return name


def _sweep_torn_staging(catalog_dir: Path) -> None:
    """Removes staging folders of builds that died (their process no longer runs here).

    Called under the catalog's lock; a staging folder whose process still runs is another
    build's (an older SkiLL without the lock) and is left alone.
    """
    for torn in catalog_dir.glob(".v-*.tmp"):
        pid = torn.name.removesuffix(".tmp").rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and pid_alive(int(pid)):
            continue
        shutil.rmtree(torn, ignore_errors=True)


def _write_staging(
    staging, sources, items, skipped, encoders, caches, config, report, engine
) -> None:
    engine = dict(engine)
    items_format = engine.pop("items_format", "csv")
    encoder_entries = {}
    for encoder in encoders:
        xb = caches[encoder.name].get(items["fingerprint"].tolist())
        folder = staging / _safe(encoder.name)
        folder.mkdir()
        _save_embeddings(folder / "embeddings.npy", xb)
        report(f"indexing {encoder.name}", 0, len(xb))
        save_index(build_index(xb, config.index), folder / "index.faiss")
        report(f"indexing {encoder.name}", len(xb), len(xb))
        np.save(folder / "map.npy", fit_map(xb, config.map, report, f"mapping {encoder.name}"))
        report(f"same-design rule for {encoder.name}", 0, 1, "fits")
        encoder_entries[encoder.name] = {
            "folder": _safe(encoder.name),
            "digest": encoder.digest,
            "dim": encoder.embedding_dim,
            # which vectors, for the next build to reuse (build._same_vectors)
            "cache": Path(caches[encoder.name].folder).name,
            "display_name": encoder.info.display_name,
            "role": encoder.info.role,
            "source": encoder.info.source,
            "same_design": _catalog_rule(xb, items, encoder.info.config.get("same_design")),
        }
        report(f"same-design rule for {encoder.name}", 1, 1, "fits")
    if items_format == "parquet":  # a million rows: a tenth of the CSV's bytes and read time
        items.astype(str).to_parquet(staging / "items.parquet", index=False)
    else:
        items.to_csv(staging / "items.csv", index=False)
    skipped.to_csv(staging / "skipped.csv", index=False)
    manifest = {
        "format_version": FORMAT_VERSION,
        "images_dir": str(sources[0].images_dir),  # what readers before sources look at
        "sources": [source.to_json() for source in sources],
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
