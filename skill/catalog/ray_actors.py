"""The Ray engine's actor pool: decode, embed and predict blocks of photos, write their shards.

:func:`embed_on_ray` runs ``map_batches`` over the photos a build must read, on a pool of
:class:`EmbedActor` s. Each actor opens one ONNX Runtime session per network (each encoder's,
and the attribute model's when the build stores attributes) once, then per block of photos
decodes each photo once (:func:`skill.catalog.ingest.process_batch`) and writes one shard per
network into that network's cache folder and one of colours
(:func:`skill.encoders.cache.write_shard`). The driver side of the build is
:mod:`skill.catalog.ray_build`.

Example:
    >>> outcome, timing = embed_on_ray(work, networks, folders, catalog_dir, config, ray_config,
    ...                                report)
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from skill.catalog.build import ATTRIBUTES_PASS, CatalogConfig
from skill.catalog.store import CatalogError
from skill.encoders.cache import write_shard

if TYPE_CHECKING:
    from skill.catalog.ray_build import RayConfig

KNOWN = "-"
"""An actor's answer for a photo whose colour the driver knew already."""
COLOURS_FOLDER = "colours"
"""Cache sub-folder of the colour shards (fingerprint -> dominant colour)."""


def worker_count(ray_config: RayConfig) -> int:
    """Actors of the pool: ``ray_config.workers``, else one per ``cpus_per_worker`` CPUs of the
    cluster."""
    import ray

    if ray_config.workers:
        return ray_config.workers
    cpus = ray.cluster_resources().get("CPU", 1)
    return max(1, int(cpus // ray_config.cpus_per_worker))


def _model_bytes(network, config: CatalogConfig, calibration, folder: Path) -> bytes:
    """The ONNX graph each actor runs: the float export, or the int8 model of this cache
    (refused before any actor starts where it strays from float)."""
    from skill.catalog.ingest import batch_model

    runtime = "onnx-int8" if config.runtime == "onnx-int8" else "onnx"
    model = batch_model(network, runtime, calibration, folder, config.int8_min_agreement)
    return Path(model.path).read_bytes()


def embed_on_ray(work, networks, folders, catalog_dir, config, ray_config, report):
    """Runs the actor pool over ``work``; returns each row's colour (or failure) and its share
    of its batch's attribute-network seconds, and timings: ``embed_seconds`` (wall, actor
    start-up included) and ``photos_per_second`` (all actors, once each has finished a batch).

    ``networks``: name -> encoder (or the attribute network under ``ATTRIBUTES_PASS``), in the
    order of ``work``'s ``need<i>`` columns."""
    import ray

    columns = ["row", "color_hex", "color_name", "attribute_seconds"]
    if work.empty:
        return pd.DataFrame(columns=columns), {"embed_seconds": 0.0}
    report("preparing models", 0, len(networks))
    paths = [Path(p) for p in work["path"]]
    sample = [paths[i] for i in np.random.default_rng(0).permutation(len(paths))[:1024]]
    specs = [
        {
            "name": name,
            "model": ray.put(_model_bytes(e, config, sample, folders[name])),  # held here
            "preprocess": e.preprocess.to_dict(),
            "dim": e.embedding_dim,
            "folder": str(folders[name]),
        }
        for name, e in networks.items()
    ]
    from skill.catalog.ingest import draft_size

    size = draft_size([e.preprocess for e in networks.values()])
    block = ray_config.block_size
    workers = min(worker_count(ray_config), -(-len(work) // block))
    # One block per batch: the unit an actor runs, writes as a shard and redoes if it dies.
    blocks = [work.iloc[i : i + block] for i in range(0, len(work), block)]
    dataset = ray.data.from_pandas(blocks).map_batches(
        EmbedActor,
        batch_size=block,
        batch_format="pandas",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=ray_config.cpus_per_worker,
        fn_constructor_kwargs={
            "specs": specs,
            "size": size,
            "colours_folder": str(catalog_dir / "cache" / COLOURS_FOLDER),
            "threads": ray_config.threads_per_worker,
            "on_batch": ray_config.on_batch,
        },
    )
    what = "embedding and predicting attributes" if ATTRIBUTES_PASS in networks else "embedding"
    stage = f"{what} on Ray ({workers} workers)"
    report(stage, 0, len(work))
    start = time.perf_counter()
    parts, done, marks = [], 0, []
    for batch in dataset.iter_batches(batch_format="pandas", batch_size=None):
        parts.append(batch[columns])
        done += len(batch)
        marks.append((time.perf_counter(), done))
        report(stage, done, len(work))
    timing = {"embed_seconds": round(time.perf_counter() - start, 1)}
    if len(marks) > workers:  # after every actor's first batch: the steady rate, start-up left out
        (t0, n0), (t1, n1) = marks[workers - 1], marks[-1]
        timing["photos_per_second"] = round((n1 - n0) / max(t1 - t0, 1e-9), 2)
    outcome = pd.concat(parts, ignore_index=True)
    duplicated = outcome["row"].duplicated()
    if duplicated.any():  # a retried batch must not count twice; its shards were rewritten
        outcome = outcome[~duplicated]
    if len(outcome) != len(work):
        raise CatalogError(f"the Ray run returned {len(outcome)} of {len(work)} photos")
    return outcome, timing


class EmbedActor:
    """A Ray Data actor: ONNX sessions (each encoder's, the attribute model's) loaded once, then
    one block of photos per call.

    Args:
        specs: Per encoder: ``name``, ``model`` (a Ray reference to the ONNX graph's bytes,
            which the driver holds for the run, so a restarted actor finds it), ``preprocess`` (dict), ``dim``
            and ``folder`` (its cache folder).
        size: JPEG draft size (:func:`skill.catalog.ingest.draft_size`).
        colours_folder: Where colour shards go.
        threads: ONNX Runtime intra-op threads.
        on_batch: See :attr:`RayConfig.on_batch`.
    """

    def __init__(self, specs, size, colours_folder, threads, on_batch=None):
        import onnxruntime as ort
        import ray

        from skill.images.preprocess import Preprocess

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.sessions = {
            spec["name"]: ort.InferenceSession(
                ray.get(spec["model"]), options, providers=["CPUExecutionProvider"]
            )
            for spec in specs
        }
        self.preprocesses = {s["name"]: Preprocess.from_dict(s["preprocess"]) for s in specs}
        self.dims = {spec["name"]: spec["dim"] for spec in specs}
        self.folders = {spec["name"]: spec["folder"] for spec in specs}
        self.order = [spec["name"] for spec in specs]
        self.size = size
        self.colours_folder = colours_folder
        self.on_batch = on_batch

    def _model(self, name: str):
        session = self.sessions[name]
        return lambda batch: session.run(None, {"images": batch.numpy()})[0]

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        from skill.catalog.ingest import process_batch

        if self.on_batch is not None:
            self.on_batch(batch["image_path"].tolist())
        keys = batch["fingerprint"].tolist()
        needs = {name: batch[f"need{i}"].to_numpy() for i, name in enumerate(self.order)}
        result = process_batch(
            [Path(path) for path in batch["path"]],  # readable at this path on every node
            {name: self._model(name) for name in self.order},
            self.preprocesses,
            self.dims,
            colour=batch["colour"].to_numpy(),
            needs=needs,
            size=self.size,
        )
        shard = hashlib.sha1("\n".join(keys).encode()).hexdigest()[:20]
        for name, (positions, vectors) in result.vectors.items():
            if positions:
                write_shard(self.folders[name], shard, [keys[i] for i in positions], vectors)
        if result.colours:
            positions = sorted(result.colours)
            write_shard(
                self.colours_folder,
                shard,
                [keys[i] for i in positions],
                np.zeros((len(positions), 0), np.float32),
                color_hex=[result.colours[i][0] for i in positions],
                color_name=[result.colours[i][1] for i in positions],
            )
        hexes, names = [], []
        attribute_seconds = result.seconds.get(ATTRIBUTES_PASS, 0.0) / len(batch)
        for i in range(len(batch)):
            if i in result.failures:
                hexes.append("")
                names.append(result.failures[i])
            else:
                hex_code, name = result.colours.get(i, (KNOWN, KNOWN))
                hexes.append(hex_code)
                names.append(name)
        return pd.DataFrame(
            {
                "row": batch["row"].to_numpy(),
                "color_hex": hexes,
                "color_name": names,
                "attribute_seconds": attribute_seconds,
            }
        )
