"""Building a catalog: photos in, a complete new version folder out, then an atomic switch.

A build reads the items of one source (:mod:`skill.catalog.source`), decides what it does to
the catalog (:mod:`skill.catalog.plan`: create, add a source, refresh one, or replace), takes
the catalog's lock (:mod:`skill.catalog.lock`: one writer at a time), decodes each photo once
(:mod:`skill.catalog.photo_pass`) for its dominant colour and the embeddings the cache lacks
with every encoder (and the attributes, :mod:`skill.catalog.attributes`), writes embeddings,
faiss index and 2-D map per encoder into its own staging folder
(:mod:`skill.catalog.version`), renames it into a version and switches ``CURRENT``
(:mod:`skill.catalog.pointer`). A crash at any point leaves the previous
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
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import replace as replace_field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from skill.catalog.attributes import describe_attributes, start_attributes
from skill.catalog.index import IndexConfig
from skill.catalog.lock import catalog_lock
from skill.catalog.photo_pass import read_photos
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
from skill.encoders.quantize import MIN_AGREEMENT
from skill.progress import Progress, silent

if TYPE_CHECKING:  # torch loads only when a build embeds photos, so the app starts fast
    from skill.encoders.encoder import Encoder


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
            (:mod:`skill.encoders.quantize`: a model stage 1.4-2.6x ``onnx``'s by CPU, calibrated on a
            seeded sample of the catalog's photos; hit@1 and speed in ``docs/scale.md``;
            its vectors are cached apart from the float ones).
        attributes: Attribute model whose predictions are stored (:mod:`skill.catalog.attributes`):
            ``auto`` (the shipped model when installed), a model name or folder, or ``None``.
        int8_min_agreement: For ``onnx-int8``: the least mean cosine an encoder's int8
            embeddings may have to its float ones on held-back catalog photos: one below it
            stops the build before anything is written. A model below
            ``QuantizeConfig.fallback_agreement`` (0.98) or this, if higher, is first
            quantised again with its first convolutions in float
            (:func:`skill.encoders.quantize.create_int8_encoder`).
    """

    batch_size: int = 32
    part_size: int = 256
    index: IndexConfig = field(default_factory=IndexConfig)
    map: MapConfig = field(default_factory=MapConfig)
    runtime: str = "auto"
    attributes: str | None = "auto"
    int8_min_agreement: float = MIN_AGREEMENT


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
        attributes: One line on the attributes the build stored
            (:func:`skill.catalog.attributes.describe_attributes`); empty without any.
    """

    catalog: Path
    items: int
    skipped: pd.DataFrame
    embedded: dict[str, int]
    reused: dict[str, int]
    seconds: float
    plan: BuildPlan | None = None
    recovered_lock: str = ""
    attributes: str = ""

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
    items, embedded, seconds = read_photos(
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
    stored = ""
    if attributes is not None:  # the rest of the attributes, then their files in the version
        stored = describe_attributes(
            attributes.finish(plan.catalog / version, items, embedded, reused)
        )
    switch_current(plan.catalog, version)
    return BuildSummary(
        catalog=plan.catalog,
        items=len(items),
        skipped=skipped[skipped[SOURCE_COLUMN] == plan.source.key].reset_index(drop=True),
        embedded=embedded,
        reused=reused,
        seconds=0.0,
        plan=plan,
        attributes=stored,
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
    if not _same_vectors(previous, encoder.name, cache.folder, config):
        return
    wanted = {key for key in keys if key not in cache}
    if not wanted or "fingerprint" not in previous.items:
        return
    rows = [i for i, key in enumerate(previous.items["fingerprint"]) if key in wanted]
    if rows:
        vectors = np.asarray(previous.embeddings(encoder.name)[rows])
        cache.put([previous.items["fingerprint"].iat[i] for i in rows], vectors)


def _same_vectors(previous, name: str, folder: Path, config: CatalogConfig) -> bool:
    """Whether the live version's vectors of encoder ``name`` are what this build's cache
    ``folder`` holds: the same cache (:func:`_cache_folder`: weights, and for int8 the model's
    settings). A version that did not record its cache is trusted for float vectors only:
    its int8 vectors may come from a model quantised otherwise."""
    recorded = previous.manifest.get("encoders", {}).get(name, {}).get("cache")
    if recorded is not None:
        return recorded == Path(folder).name
    built = previous.manifest.get("config", {}).get("runtime", "auto")
    return built != "onnx-int8" and config.runtime != "onnx-int8"


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
