"""Building a catalog on Ray Data: the local build's steps, spread over the machines of a cluster.

``python -m skill index ... --engine ray [--address ADDR]`` runs :func:`build_catalog_ray`, which
writes the same catalog (version folder, manifest, atomic ``CURRENT`` switch) as
:func:`skill.catalog.build.build_catalog`, with embeddings equal to its to 1e-4:

1. **Items.** The item table is read on the driver (:func:`skill.catalog.source.read_items`:
   the folder listing, the CSV, its path checks); each photo's fingerprint (one ``stat``)
   is taken by Ray tasks over blocks of rows.
2. **Photos.** The photos whose colour or embedding the catalog's caches lack go through
   ``map_batches`` on an actor pool (:mod:`skill.catalog.ray_actors`). Each actor holds one
   ONNX Runtime session per encoder (float, or the driver's int8 model), decodes each photo
   once (:func:`skill.catalog.ingest.process_batch`: JPEG draft decoding, dominant colour, every
   encoder's input) and writes, per batch, a shard per encoder into that encoder's cache
   folder (:func:`skill.encoders.cache.write_shard`: fingerprints and vectors) and one of
   colours. When the build stores attributes, the attribute model is one more network of the
   actors (on the same decode; int8 in an int8 build) and its shards go into its probability
   cache (:mod:`skill.catalog.attributes`). A shard is named by its photos' fingerprints, so a
   batch retried after its actor died (Ray restarts the actor and retries the batch) rewrites
   the same file, and a run that was killed outright is resumed: the shards on disk are read
   back by fingerprint and only the photos without one run again. The shards are the local
   engine's cache too: either engine resumes the other's work.
3. **Version.** The driver assembles each encoder's embeddings from the shards into a memory
   map (one shard in memory at a time) and hands it to the local engine's version writer:
   the faiss index (exact below ``IndexConfig.exact_threshold`` rows, IVF-fp16 above, IVF-PQ
   from :attr:`RayConfig.pq_rows`; IVF trains on a sample and rows are added in chunks,
   :func:`skill.catalog.index.build_index`), the 2-D map (fitted on a sample above
   ``MapConfig.fit_rows``), the same-design rule, the item table (Parquet from
   :attr:`RayConfig.parquet_rows` rows) and the manifest, which records the engine.

The photos must be readable at the same path on every node (a shared file system), and every
node needs this project's requirements (``requirements-ray.txt``); :func:`start_ray` ships the
``skill`` package itself. Measured throughput and a projection for 10M photos:
``docs/scale.md``.

Example:
    >>> start_ray(address="auto")                         # a cluster started with `ray start`
    >>> summary = build_catalog_ray("photos/", "catalogs/spring", encoders=["skill-design"])
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import replace as replace_field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from skill.catalog.build import (
    ATTRIBUTES_PASS,
    BuildSummary,
    CatalogConfig,
    _all_skipped,
    _cache_folder,
    _check_shrink,
    _count_sources,
    _fall_back_on_failures,
    _load_encoders,
    _same_vectors,
    attribute_step,
    go_live,
    planned_build,
)
from skill.catalog.ray_actors import COLOURS_FOLDER, KNOWN, embed_on_ray, worker_count
from skill.catalog.source import ColumnMap
from skill.catalog.store import SOURCE_COLUMN, CatalogError
from skill.catalog.version import ASSEMBLED_PREFIX, write_version
from skill.encoders.cache import cache_files, fingerprint, write_shard
from skill.progress import Progress, silent

if TYPE_CHECKING:
    from skill.encoders.encoder import Encoder

RAY_RUNTIMES = ("auto", "onnx", "onnx-int8")
"""Runtimes of the Ray engine: its actors run ONNX Runtime only (``auto`` is ``onnx``)."""


@dataclass(frozen=True)
class RayConfig:
    """How the Ray engine spreads a build.

    Attributes:
        address: Ray cluster to join (``auto``, ``host:6379`` or ``ray://host:10001``); ``None``
            starts a local Ray on this machine (:func:`start_ray`).
        workers: Actors embedding photos; 0 is one per ``cpus_per_worker`` CPUs of the
            cluster.
        cpus_per_worker: CPUs reserved per actor. Typical 1-4.
        threads_per_worker: ONNX Runtime threads per actor; match ``cpus_per_worker``.
        block_size: Photos per batch and per shard: what a killed actor redoes. Typical
            128-1024.
        pq_rows: From this many rows the index is IVF-PQ (64 B per photo) instead of
            IVF-fp16 (2,560 B per photo at 1280-d). Typical 1M-5M.
        parquet_rows: From this many rows the item table is written as ``items.parquet``.
        on_batch: Called inside the actor with each batch's image paths before it is
            embedded (logging, or a test that kills the actor there); must pickle.
    """

    address: str | None = None
    workers: int = 0
    cpus_per_worker: float = 1.0
    threads_per_worker: int = 1
    block_size: int = 256
    pq_rows: int = 2_000_000
    parquet_rows: int = 1_000_000
    on_batch: Callable[[list[str]], None] | None = None

    def __post_init__(self) -> None:
        if self.block_size < 1:
            raise ValueError(f"block_size must be >= 1, got {self.block_size}")
        if self.cpus_per_worker <= 0 or self.threads_per_worker < 1 or self.workers < 0:
            raise ValueError("cpus_per_worker > 0, threads_per_worker >= 1 and workers >= 0")


def start_ray(address: str | None = None, **init_kwargs) -> None:
    """Connects to a Ray cluster (or starts a local one) with the ``skill`` package shipped.

    Does nothing when Ray is already initialised in this process.

    Args:
        address: As :attr:`RayConfig.address`.
        **init_kwargs: Passed to ``ray.init`` (``num_cpus=2`` for a local test cluster).
    """
    try:
        import ray
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "the Ray engine needs Ray: pip install -r requirements-ray.txt"
        ) from None
    if ray.is_initialized():
        return
    import skill

    runtime_env = {"py_modules": [skill], "env_vars": {"PYTHONWARNINGS": "ignore"}}
    ray.init(address=address, runtime_env=runtime_env, log_to_driver=False, **init_kwargs)
    _quiet_ray_data()


def _quiet_ray_data() -> None:
    """Ray Data's progress bars and INFO logs would bury the CLI's own progress bar."""
    import logging

    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def build_catalog_ray(
    images_dir: str | os.PathLike,
    catalog_dir: str | os.PathLike,
    csv_path: str | os.PathLike | None = None,
    columns: ColumnMap = ColumnMap(),
    encoders: Sequence[str | Encoder] = ("imagenet-lite0",),
    config: CatalogConfig = CatalogConfig(),
    progress: Progress | None = None,
    *,
    ray_config: RayConfig = RayConfig(),
    replace: bool = False,
    prune: bool = False,
    allow_shrink: bool = False,
    wait: float = 0.0,
) -> BuildSummary:
    """Builds a catalog, adds a source to it or refreshes one, on Ray; see the module docstring.

    Args:
        images_dir, catalog_dir, csv_path, columns, encoders, progress, replace, prune,
            allow_shrink, wait: As for :func:`skill.catalog.build.build_catalog` (the same
            plan, lock and shrink rule).
        config: Build settings; ``runtime`` must be one of :data:`RAY_RUNTIMES`, and
            ``batch_size`` is the actors' batch within a block.
        ray_config: Cluster settings.

    Returns:
        A :class:`~skill.catalog.build.BuildSummary`.
    """
    if config.runtime not in RAY_RUNTIMES:
        raise ValueError(f"the Ray engine runs {RAY_RUNTIMES}, got runtime {config.runtime!r}")
    report = progress or silent

    def build(plan, previous) -> BuildSummary:
        return _build_on_ray(plan, previous, encoders, config, ray_config, report, allow_shrink)

    return planned_build(
        images_dir, catalog_dir, csv_path, columns, replace, prune, allow_shrink, wait, build,
        engine="Ray",
    )  # fmt: skip


def _build_on_ray(plan, previous, encoders, config, ray_config, report, allow_shrink):
    """The build itself, under the catalog's lock."""
    catalog_dir = plan.catalog
    roots = {source.key: source.images_dir for source in plan.sources}
    items = plan.items.copy()
    skipped = [plan.left_out]
    loaded = _load_encoders(encoders, previous)  # a bad checkpoint stops before Ray starts
    start_ray(ray_config.address)
    items["path"] = [
        str(roots[key] / rel)
        for key, rel in zip(items[SOURCE_COLUMN], items["image_path"], strict=True)
    ]
    todo = items["fingerprint"] == ""  # rows already in the catalog carry theirs
    report("fingerprinting on Ray", 0, int(todo.sum()))
    found = _fingerprints(items.loc[todo, ["path", "image_path"]], ray_config)
    items.loc[todo, "fingerprint"] = found
    report("fingerprinting on Ray", int(todo.sum()), int(todo.sum()))
    gone = items["fingerprint"] == ""
    skipped.append(
        pd.DataFrame(
            {
                "image_path": items.loc[gone, "image_path"],
                "reason": "file not found (it went away during the build)",
            }
        )
    )
    items = items[~gone].reset_index(drop=True)

    folders = {e.name: _cache_folder(catalog_dir, e, config) for e in loaded}
    keys = items["fingerprint"].tolist()
    colours = _known_colours(previous, catalog_dir / "cache" / COLOURS_FOLDER)
    done = {name: _stored_keys(folder) for name, folder in folders.items()}
    for e in loaded:
        _seed_shards(folders[e.name], done[e.name], previous, e, keys, config)
    work = pd.DataFrame(
        {
            "row": np.arange(len(items)),
            "image_path": items["image_path"].to_numpy(),
            "path": items["path"].to_numpy(),
            "fingerprint": keys,
            "colour": [key not in colours for key in keys],
        }
    )
    networks = {e.name: e for e in loaded}
    attributes = attribute_step(items, roots, catalog_dir, config, report)  # cache opened here
    if attributes is not None:  # one more network of the actors, on the same decode
        networks[ATTRIBUTES_PASS] = attributes.model.network(with_trunk=True)
        folders[ATTRIBUTES_PASS] = attributes.cache.folder
        done[ATTRIBUTES_PASS] = {key for key in keys if key in attributes.cache}
    for i, name in enumerate(networks):
        work[f"need{i}"] = [key not in done[name] for key in keys]
    need_columns = [f"need{i}" for i in range(len(networks))]
    work = work[work[["colour", *need_columns]].any(axis=1)].reset_index(drop=True)

    outcome, timing = embed_on_ray(work, networks, folders, catalog_dir, config, ray_config, report)
    hexes = [colours.get(key, ("", ""))[0] for key in keys]
    names = [colours.get(key, ("", ""))[1] for key in keys]
    for row, hex_code, name in outcome[["row", "color_hex", "color_name"]].itertuples(index=False):
        if hex_code != KNOWN:
            hexes[row], names[row] = hex_code, name
    items["color_hex"], items["color_name"] = hexes, names
    items = items.drop(columns="path")
    failed = items["color_hex"] == ""
    succeeded = work[~work["row"].isin(np.flatnonzero(failed.to_numpy()))]
    embedded = {name: int(succeeded[f"need{i}"].sum()) for i, name in enumerate(networks)}
    if attributes is not None:  # the actors' shards: read back, predicted count and time
        seconds = float(outcome["attribute_seconds"].sum())
        attributes.add_predicted(embedded.pop(ATTRIBUTES_PASS), seconds, reread=True)
    items, lost = _fall_back_on_failures(items, failed, previous, plan)
    skipped.append(lost)
    keys = items["fingerprint"].tolist()
    for e in loaded:  # rows kept from the live version bring their vectors with them
        _seed_shards(folders[e.name], _stored_keys(folders[e.name]), previous, e, keys, config)
    reused = {name: len(items) - count for name, count in embedded.items()}
    skipped = _all_skipped(skipped, plan, previous)
    _check_shrink(plan, previous, items, allow_shrink)
    index = config.index
    if len(items) >= ray_config.pq_rows:
        index = replace_field(index, large_kind="ivf-pq")
    stores = {e.name: ShardStore(folders[e.name], catalog_dir, e.embedding_dim) for e in loaded}
    workers = worker_count(ray_config)
    try:
        version = write_version(
            catalog_dir,
            _count_sources(plan.sources, items),
            items,
            skipped,
            loaded,
            stores,
            replace_field(config, index=index),
            report,
            name="ray",
            address=ray_config.address or "local",
            workers=workers,
            block_size=ray_config.block_size,
            **timing,
            items_format="parquet" if len(items) >= ray_config.parquet_rows else "csv",
        )
    finally:
        for store in stores.values():
            store.remove()
    return go_live(plan, version, items, skipped, embedded, reused, attributes)


def _seed_shards(folder: Path, stored: set[str], previous, encoder, keys, config) -> None:
    """Writes a shard of the live version's vectors this cache lacks (same weights, same
    runtime): rows kept from other sources need them, and their photo may be gone."""
    if previous is None or encoder.name not in previous.encoders:
        return
    if previous.encoder_digest(encoder.name) != encoder.digest:
        return
    if not _same_vectors(previous, encoder.name, folder, config):
        return
    if "fingerprint" not in previous.items:
        return
    wanted = {key for key in keys if key not in stored}
    rows = [i for i, key in enumerate(previous.items["fingerprint"]) if key in wanted]
    if not rows:
        return
    found = [previous.items["fingerprint"].iat[i] for i in rows]
    shard = "seed-" + hashlib.sha1("\n".join(found).encode()).hexdigest()[:20]
    write_shard(folder, shard, found, np.asarray(previous.embeddings(encoder.name)[rows]))
    stored.update(found)


def _fingerprint_block(batch: pd.DataFrame) -> pd.DataFrame:
    found = []
    for path, rel in zip(batch["path"], batch["image_path"], strict=True):
        try:
            found.append(fingerprint(Path(path), rel))
        except OSError:  # went away since it was listed: left out by the driver
            found.append("")
    return pd.DataFrame({"position": batch["position"].to_numpy(), "fingerprint": found})


def _fingerprints(rows: pd.DataFrame, ray_config: RayConfig) -> list[str]:
    """Each photo's fingerprint (``""`` for a file gone), taken by Ray tasks over blocks of rows.

    Args:
        rows: ``path`` (readable on every node) and ``image_path`` (relative to its source).
    """
    import ray

    if rows.empty:
        return []
    frame = pd.DataFrame(
        {
            "position": np.arange(len(rows)),
            "path": rows["path"].to_numpy(),
            "image_path": rows["image_path"].to_numpy(),
        }
    )
    size = max(ray_config.block_size * 16, 4096)
    blocks = [frame.iloc[i : i + size] for i in range(0, len(frame), size)]
    found = (
        ray.data.from_pandas(blocks)
        .map_batches(_fingerprint_block, batch_format="pandas", batch_size=None)
        .to_pandas()
    )
    return found.sort_values("position")["fingerprint"].tolist()


def _known_colours(previous, folder: Path) -> dict[str, tuple[str, str]]:
    """Fingerprint -> colour, from the previous catalog and the colour shards."""
    known: dict[str, tuple[str, str]] = {}
    if previous is not None and "fingerprint" in previous.items:
        frame = previous.items[["fingerprint", "color_hex", "color_name"]]
        known.update({key: (h, n) for key, h, n in frame.itertuples(index=False)})
    for path in cache_files(folder):
        try:
            with np.load(path, allow_pickle=False) as data:
                found = zip(
                    data["keys"].tolist(), data["color_hex"], data["color_name"], strict=True
                )
                known.update({key: (str(h), str(n)) for key, h, n in found})
        except (OSError, ValueError, KeyError, EOFError):
            continue  # a torn shard: its photos are read again
    return known


def _stored_keys(folder: Path) -> set[str]:
    """Fingerprints a cache folder holds, reading only the ``keys`` of each file."""
    import zipfile

    keys: set[str] = set()
    for path in cache_files(folder):
        try:
            with np.load(path, allow_pickle=False) as data:
                keys.update(data["keys"].tolist())
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            continue
    return keys


class ShardStore:
    """An encoder's cache folder read for one build: ``get`` assembles a memory map.

    The embeddings are written row by row into ``.assembled-<encoder>-<pid>.npy`` in the
    catalog folder, one cache file in memory at a time, and the version writer moves that file
    into the new version (:func:`skill.catalog.version._save_embeddings`).

    Args:
        folder: The encoder's cache folder (parts and shards).
        catalog_dir: Where the assembled file is written (same file system as the version).
        dim: Embedding size.
    """

    def __init__(self, folder: Path, catalog_dir: Path, dim: int) -> None:
        self.folder = Path(folder)
        self.path = Path(catalog_dir) / f"{ASSEMBLED_PREFIX}{self.folder.name}-{os.getpid()}.npy"
        self.dim = dim

    def get(self, keys: list[str]) -> np.ndarray:
        """Shape (len(keys), dim), float32, a read-only memory map; every key must be stored."""
        import zipfile

        out = np.lib.format.open_memmap(
            self.path, mode="w+", dtype=np.float32, shape=(len(keys), self.dim)
        )
        row_of = {key: i for i, key in enumerate(keys)}
        filled = np.zeros(len(keys), bool)
        for path in cache_files(self.folder):
            try:
                with np.load(path, allow_pickle=False) as data:
                    rows = np.asarray([row_of.get(k, -1) for k in data["keys"].tolist()], np.int64)
                    chosen = rows >= 0
                    if chosen.any() and data["vectors"].shape[1:] == (self.dim,):
                        out[rows[chosen]] = data["vectors"][chosen]
                        filled[rows[chosen]] = True
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                continue
        if not filled.all():
            missing = [keys[i] for i in np.flatnonzero(~filled)[:3]]
            raise CatalogError(f"{int((~filled).sum())} embeddings missing, e.g. {missing}")
        out.flush()
        del out
        return np.load(self.path, mmap_mode="r")

    def remove(self) -> None:
        """Deletes the assembled file if the version writer did not take it."""
        self.path.unlink(missing_ok=True)
