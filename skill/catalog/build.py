"""Building a catalog: photos in, a complete new version folder out, then an atomic switch.

A build reads the items of one source (:mod:`skill.catalog.source`), decides what it does to
the catalog (:mod:`skill.catalog.plan`: create, add a source, refresh one, or replace), takes
the catalog's lock (:mod:`skill.catalog.lock`: one writer at a time), decodes each photo once
(:mod:`skill.catalog.ingest`) for its dominant colour and the embeddings the cache lacks with
every encoder, writes embeddings, faiss index and 2-D map per encoder into its own staging
folder (:mod:`skill.catalog.version`), renames it into a version and
switches ``CURRENT`` (:mod:`skill.catalog.pointer`). A crash at any point leaves the previous
catalog loadable, and the cache lets the next run resume without embedding finished photos
again. A source with nothing to index, or a build that would remove most of the catalog
without ``allow_shrink``, stops before anything is written.

Example:
    >>> summary = build_catalog("photos/", "catalogs/spring", csv_path="photos/labels.csv",
    ...                         encoders=["imagenet-lite0"])
    >>> print(summary.describe())
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import replace as replace_field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from skill.catalog.attributes import ATTRIBUTES_FOLDER, start_attributes
from skill.catalog.index import IndexConfig
from skill.catalog.lock import catalog_lock
from skill.catalog.plan import (
    SHRINK_LIMIT,
    BuildPlan,
    CatalogShrinkError,
    nothing_to_index,
    plan_from_table,
    source_inputs,
    try_open,
)
from skill.catalog.pointer import switch_current
from skill.catalog.projection import MapConfig
from skill.catalog.source import CatalogInputError, ColumnMap, read_items
from skill.catalog.store import SOURCE_COLUMN, CatalogSource
from skill.catalog.version import write_version
from skill.encoders.cache import EmbeddingCache, fingerprint
from skill.encoders.cache import safe_name as _safe
from skill.progress import Progress, silent

if TYPE_CHECKING:  # torch loads only when a build embeds photos, so the app starts fast
    from skill.encoders.registry import Encoder


ATTRIBUTES_PASS = "attributes:"
"""Key of the attribute model's network in a build's one-decode pass (never an encoder name)."""


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
            (:mod:`skill.encoders.quantize`: a model stage 1.6-1.9x ``onnx``'s, calibrated on a
            seeded sample of the catalog's photos; hit@1 and speed in ``docs/scale.md``;
            its vectors are cached apart from the float ones).
        attributes: Attribute model whose predictions are stored (:mod:`skill.catalog.attributes`):
            ``auto`` (the shipped model when installed), a model name or folder, or ``None``.
    """

    batch_size: int = 32
    part_size: int = 256
    index: IndexConfig = field(default_factory=IndexConfig)
    map: MapConfig = field(default_factory=MapConfig)
    runtime: str = "auto"
    attributes: str | None = "auto"


@dataclass
class BuildSummary:
    """What a build did, for the CLI and the app.

    Attributes:
        catalog: The catalog folder.
        items: Rows in the catalog after the build (every source).
        skipped: ``image_path`` and ``reason`` of every entry of the source left out.
        embedded: Encoder name -> photos embedded by this build.
        reused: Encoder name -> photos whose embedding was already stored.
        seconds: Wall time.
        plan: What the build did: action, rows added, kept and removed.
        recovered_lock: The lock of a build that died holding it, recovered; else empty.
    """

    catalog: Path
    items: int
    skipped: pd.DataFrame
    embedded: dict[str, int]
    reused: dict[str, int]
    seconds: float
    plan: BuildPlan | None = None
    recovered_lock: str = ""

    def describe(self) -> str:
        """A short human summary."""
        parts = [f"{self.items} photos indexed in {self.seconds:.1f} s"]
        if self.plan is not None:
            plan = self.plan
            change = f"{plan.action} {plan.source.describe()}: {plan.added} new"
            if plan.action != "create":
                change += f", {len(plan.removed)} removed"
            if len(plan.kept):
                change += f", {len(plan.kept)} kept that the source no longer lists"
            parts.append(change)
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
    *,
    replace: bool = False,
    prune: bool = False,
    allow_shrink: bool = False,
    wait: float = 0.0,
) -> BuildSummary:
    """Builds a catalog, adds a source to it or refreshes one (:mod:`skill.catalog.plan`).

    Args:
        images_dir: Folder of photos.
        catalog_dir: Catalog folder (created, or updated in place).
        csv_path: Optional label CSV.
        columns: CSV column names.
        encoders: Encoder names, paths or loaded encoders. An existing catalog keeps the
            encoders it had unless they are listed again.
        config: Build settings.
        progress: Every stage of the build (:mod:`skill.progress`).
        replace: Start over: the catalog becomes this source only.
        prune: Remove rows whose photo file is gone and rows this source no longer lists.
        allow_shrink: Allow a build that removes more than half of the catalog's rows.
        wait: Seconds to wait for another build of this catalog to finish; 0 stops at once.

    Returns:
        A :class:`BuildSummary`.

    Raises:
        CatalogInputError: The source cannot be read or has nothing to index.
        CatalogShrinkError: The build would remove most rows and ``allow_shrink`` is False.
        CatalogBusyError: Another build of this catalog still runs after ``wait`` seconds.
        In every case the catalog is left as it was.
    """
    report = progress or silent

    def build(plan: BuildPlan, previous) -> BuildSummary:
        return _build(plan, previous, encoders, config, report, allow_shrink)

    return planned_build(
        images_dir, catalog_dir, csv_path, columns, replace, prune, allow_shrink, wait, build
    )


def planned_build(
    images_dir, catalog_dir, csv_path, columns, replace, prune, allow_shrink, wait, build,
    engine: str = "",
) -> BuildSummary:  # fmt: skip
    """Reads the source, takes the lock, plans, checks the shrink rule, then runs ``build``.

    Shared by the engines (this module's and :mod:`skill.catalog.ray_build`): ``build(plan,
    previous)`` does the work under the lock; ``engine`` names it in the lock's description.
    Arguments as for :func:`build_catalog`.
    """
    start = time.perf_counter()
    images_root = Path(images_dir).resolve()
    catalog_dir = Path(catalog_dir)
    csv_path, columns = source_inputs(try_open(catalog_dir), images_root, csv_path, columns)
    table = read_items(images_root, csv_path, columns)
    if table.items.empty:  # before the lock: an empty or wrong folder creates nothing
        raise CatalogInputError(nothing_to_index(images_dir, csv_path, table.problems))
    mode = "replace" if replace else "prune" if prune else "add"
    where = f" on {engine}" if engine else ""
    description = f"index {images_root.name!r} into {catalog_dir.name!r}{where} ({mode})"
    with catalog_lock(catalog_dir, description, wait=wait) as holder:
        previous = try_open(catalog_dir)
        plan = plan_from_table(
            table, previous, catalog_dir, images_dir, csv_path, columns, replace, prune
        )
        if plan.needs_confirmation and not allow_shrink:
            raise CatalogShrinkError(plan)
        summary = build(plan, previous)
    summary.seconds = time.perf_counter() - start
    summary.recovered_lock = holder.recovered
    return summary


def _build(plan, previous, encoders, config, report, allow_shrink) -> BuildSummary:
    """The build itself, under the catalog's lock."""
    catalog_dir = plan.catalog
    roots = {source.key: source.images_dir for source in plan.sources}
    items = plan.items.copy()
    skipped = [plan.left_out]
    # Encoders first: a bad checkpoint stops the build before any photo is read.
    loaded = _load_encoders(encoders, previous)
    items, lost = _fingerprint(items, roots)
    skipped.append(lost)
    caches = {
        encoder.name: EmbeddingCache(
            _cache_folder(catalog_dir, encoder, config), encoder.embedding_dim
        )
        for encoder in loaded
    }
    for encoder in loaded:
        _seed_from_previous(caches[encoder.name], previous, encoder, items["fingerprint"], config)
    # Attributes first: an encoder that shares the attribute model's trunk is embedded in the
    # attributes' pass, into its cache, and the one-decode pass below finds it done.
    attributes = attribute_step(items, roots, catalog_dir, config, report, loaded, caches)
    networks = {encoder.name: encoder for encoder in loaded}
    runtimes = {}
    if attributes is not None and attributes.shared_with is None:  # its own network, same decode
        networks[ATTRIBUTES_PASS] = attributes.model.network(with_trunk=True)
        caches = {**caches, ATTRIBUTES_PASS: attributes.cache}
        runtimes[ATTRIBUTES_PASS] = attributes.runtime
    items, embedded, seconds = _read_photos(
        items, roots, previous, report, networks, caches, config, runtimes, [ATTRIBUTES_PASS]
    )
    if ATTRIBUTES_PASS in embedded:
        attributes.add_predicted(embedded.pop(ATTRIBUTES_PASS), seconds[ATTRIBUTES_PASS])
    items, lost = _fall_back_on_failures(items, items["color_hex"] == "", previous, plan)
    skipped.append(lost)
    for encoder in loaded:  # rows kept from the live version bring their vectors with them
        _seed_from_previous(caches[encoder.name], previous, encoder, items["fingerprint"], config)
    reused = {name: len(items) - count for name, count in embedded.items()}
    skipped = _all_skipped(skipped, plan, previous)
    _check_shrink(plan, previous, items, allow_shrink)
    sources = _count_sources(plan.sources, items)
    version = write_version(catalog_dir, sources, items, skipped, loaded, caches, config, report)
    return go_live(plan, version, items, skipped, embedded, reused, attributes)


def go_live(plan, version, items, skipped, embedded, reused, attributes) -> BuildSummary:
    """Finishes a written version (the rest of its attributes), switches ``CURRENT`` to it
    and sums the build up; shared by the engines."""
    if attributes is not None:  # the rest of the attributes, then their files in the version
        attributes.finish(plan.catalog / version, items, embedded, reused)
    switch_current(plan.catalog, version)
    return BuildSummary(
        catalog=plan.catalog,
        items=len(items),
        skipped=skipped[skipped[SOURCE_COLUMN] == plan.source.key].reset_index(drop=True),
        embedded=embedded,
        reused=reused,
        seconds=0.0,
        plan=plan,
    )


def attribute_step(
    items, roots, catalog_dir, config: CatalogConfig, report, encoders=(), caches=None
):
    """Opens the build's attribute step (:mod:`skill.catalog.attributes`); None without a model.

    An encoder of ``encoders`` that shares the attribute model's trunk is embedded into its
    ``caches`` entry in the same network pass. An int8 build runs the attribute model in int8
    too (mean AUC 0.955 against float's 0.956 on the validation designs, the same fact tags'
    precision: ``benchmarks/bench_attributes_int8.py``) and shares nothing, as an int8
    catalog's vectors must all come from its int8 model; a channels-last build runs it with
    ``auto``.
    """
    shared = config.runtime in ("auto", "onnx", "torch")
    runtime = config.runtime if shared or config.runtime == "onnx-int8" else "auto"
    return start_attributes(
        items, roots, catalog_dir, list(encoders) if shared else [], config.attributes,
        lambda encoder: caches[encoder.name], config.batch_size, config.part_size,
        runtime, report, SOURCE_COLUMN,
    )  # fmt: skip


def _all_skipped(skipped: list[pd.DataFrame], plan: BuildPlan, previous) -> pd.DataFrame:
    """This build's left-out lines, with the other sources' lines of the live version."""
    skipped = pd.concat(skipped, ignore_index=True)[["image_path", "reason"]]
    skipped[SOURCE_COLUMN] = plan.source.key
    if previous is not None and plan.action != "replace":  # other sources' lines stay
        others = previous.skipped[previous.skipped[SOURCE_COLUMN] != plan.source.key]
        others = others[others[SOURCE_COLUMN].isin([s.key for s in plan.sources])]
        skipped = pd.concat([others, skipped], ignore_index=True)
    return skipped


def _check_shrink(plan: BuildPlan, previous, items: pd.DataFrame, allow_shrink: bool) -> None:
    """Photos that failed to decode count too: raises :class:`CatalogShrinkError`."""
    if previous is not None and not allow_shrink:
        lost_rows = set(previous.items["item_id"]) - set(items["item_id"])
        if len(lost_rows) > SHRINK_LIMIT * len(previous.items):
            raise CatalogShrinkError(_with_removed(plan, previous, lost_rows))


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


def _fingerprint(items: pd.DataFrame, roots: dict[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fills the fingerprint of rows read now; drops rows whose file vanished meanwhile."""
    items = items.copy()
    keep = []
    lines = []
    for i, (key, rel, known) in enumerate(
        zip(items[SOURCE_COLUMN], items["image_path"], items["fingerprint"], strict=True)
    ):
        if known:
            keep.append(True)
            continue
        try:
            items.iat[i, items.columns.get_loc("fingerprint")] = fingerprint(roots[key] / rel, rel)
            keep.append(True)
        except OSError:
            keep.append(False)
            lines.append((rel, "file not found (it went away during the build)"))
    lost = pd.DataFrame(lines, columns=["image_path", "reason"])
    return items[keep].reset_index(drop=True), lost


def _fall_back_on_failures(items, failed, previous, plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows whose photo failed to decode: the catalog keeps its earlier row, else skips it.

    A photo already in the catalog that was replaced by a broken file keeps its earlier row
    (and vectors), so a bad copy never loses what the catalog had.
    """
    earlier = {}
    if previous is not None:
        own = previous.items[previous.items[SOURCE_COLUMN] == plan.source.key]
        earlier = {row["item_id"]: row for _, row in own.iterrows()} if failed.any() else {}
    lines, rows = [], []
    for i in items.index[failed]:
        item_id, reason = items.at[i, "item_id"], items.at[i, "color_name"]
        back = earlier.get(item_id)
        if back is not None and back["fingerprint"] != items.at[i, "fingerprint"]:
            rows.append((i, back))
            lines.append(
                (items.at[i, "image_path"], f"{reason}; the catalog keeps its earlier photo")
            )
        else:
            lines.append((items.at[i, "image_path"], reason))
    items = items.copy()
    for i, back in rows:
        for column in items.columns:
            if column in back.index:
                items.at[i, column] = back[column]
    still = items["color_hex"] == ""
    lost = pd.DataFrame(lines, columns=["image_path", "reason"])
    return items[~still].reset_index(drop=True), lost


def _seed_from_previous(cache, previous, encoder, keys, config: CatalogConfig) -> None:
    """Copies vectors the cache lacks from the live version (same encoder, same weights).

    Rows kept from other sources need their vectors even when the cache folder was removed;
    the live version has them, and their photo may no longer be there to embed again.
    """
    if previous is None or encoder.name not in previous.encoders:
        return
    if previous.encoder_digest(encoder.name) != encoder.digest:
        return
    if not _same_vectors(previous, config):
        return
    wanted = {key for key in keys if key not in cache}
    if not wanted or "fingerprint" not in previous.items:
        return
    rows = [i for i, key in enumerate(previous.items["fingerprint"]) if key in wanted]
    if rows:
        vectors = np.asarray(previous.embeddings(encoder.name)[rows])
        cache.put([previous.items["fingerprint"].iat[i] for i in rows], vectors)


def _same_vectors(previous, config: CatalogConfig) -> bool:
    """Whether the live version's vectors are what this build's runtime makes: int8 vectors
    are not the float ones (:func:`_cache_folder`)."""
    built = previous.manifest.get("config", {}).get("runtime", "auto")
    return (built == "onnx-int8") == (config.runtime == "onnx-int8")


def _with_removed(plan: BuildPlan, previous, lost_rows: set) -> BuildPlan:
    rows = previous.items[previous.items["item_id"].isin(lost_rows)]
    removed = rows.reindex(columns=["item_id", "image_path", SOURCE_COLUMN]).reset_index(drop=True)
    removed["reason"] = "removed or unreadable"
    plan.removed = removed
    return plan


def _count_sources(sources, items) -> list[CatalogSource]:
    counts = items[SOURCE_COLUMN].value_counts()
    return [
        replace_field(source, items=int(counts.get(source.key, 0)))
        for source in sources
        if counts.get(source.key, 0)
    ]


def _read_photos(
    items, roots, previous, report, networks=None, caches=None, config=CatalogConfig(),
    runtimes=None, optional=(),
) -> tuple[pd.DataFrame, dict[str, int], dict[str, float]]:  # fmt: skip
    """The build's one pass over its photos (:mod:`skill.catalog.ingest`): each photo is
    decoded once for its dominant colour (the previous catalog's is reused for unchanged
    files) and the rows ``caches`` lack.

    Args:
        networks: Name -> encoder, or any network that runs where an encoder runs (the
            attribute model): each fills its ``caches`` entry, one photo's rows at a time.
        caches: Name -> its cache.
        config: Build settings (``runtime``, ``batch_size``, ``part_size``).
        runtimes: Name -> runtime for the networks not run with ``config.runtime``.
        optional: Networks whose rows a photo may lack: a photo that cannot be decoded fails
            only if its colour or another network's rows were wanted.

    Returns:
        The items with ``color_hex`` and ``color_name`` (``""`` and the reason for a photo
        that cannot be decoded), the number of photos run per network, and the seconds each
        network took.
    """
    from skill.catalog.ingest import batch_model, draft_size, read_and_embed

    networks, runtimes = networks or {}, runtimes or {}
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
    needs = {name: [key not in caches[name] for key in keys] for name in networks}
    todo = [i for i in range(len(items)) if colour[i] or any(n[i] for n in needs.values())]
    active = {name: network for name, network in networks.items() if any(needs[name])}
    paths = [
        roots[key] / rel for key, rel in zip(items[SOURCE_COLUMN], items["image_path"], strict=True)
    ]
    sample = np.random.default_rng(0).permutation(len(paths))[:1024]  # int8 calibration
    models = {
        name: batch_model(
            network,
            runtimes.get(name, config.runtime),
            [paths[i] for i in sample],
            caches[name].folder,
        )
        for name, network in active.items()
    }
    stage = _stage_name(
        [name for name in models if name not in optional], any(n in optional for n in models)
    )
    embedded = {name: 0 for name in networks}
    seconds = {name: 0.0 for name in networks}
    waiting = {name: ([], []) for name in models}  # cache part being filled, per network
    done = 0
    report(stage, 0, len(todo))
    for batch in read_and_embed(
        paths,
        models,
        {name: network.preprocess for name, network in active.items()},
        {name: network.embedding_dim for name, network in active.items()},
        colour,
        needs,
        todo,
        config.batch_size,
        size=draft_size([n.preprocess for n in networks.values()]) if networks else None,
    ):
        for i, (hex_code, name) in batch.colours.items():
            hexes[i], names[i] = hex_code, name
        for i, reason in batch.failures.items():
            if colour[i] or any(needs[name][i] for name in networks if name not in optional):
                hexes[i], names[i] = "", reason
        for name, (positions, vectors) in batch.vectors.items():
            waiting[name][0].extend(keys[i] for i in positions)
            waiting[name][1].append(vectors)
            embedded[name] += len(positions)
            seconds[name] += batch.seconds.get(name, 0.0)
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
    return items, embedded, seconds


def _stage_name(encoders: Sequence[str], attributes: bool) -> str:
    """What the one-decode pass does, as its progress reads."""
    steps = ["reading colours"]
    if encoders:
        steps.append("embedding with " + ", ".join(encoders))
    if attributes:
        steps.append("predicting attributes")
    return ", ".join(steps[:-1]) + " and " + steps[-1] if len(steps) > 1 else steps[0]


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
