"""Attributes at index time: every photo's attribute probabilities, stored in the catalog.

A build asks :func:`start_attributes` before it embeds. When one of its encoders shares the
attribute model's trunk (:func:`skill.attributes.trunk.shares_trunk`: a Lite0 design encoder
on grey photos), the photos that need attributes go through one network pass that gives that
encoder's embeddings *and* the attributes (:class:`skill.attributes.model.SharedTrunkModel`);
the embeddings land in the encoder's own cache, so the build's embedding loop finds them done.
Indexing then pays only for the attribute model's tail (ImageNet's last two stages, head
convolution and the head). Without such an encoder, the local engine runs the attribute
model's own network in its one-decode pass (:mod:`skill.catalog.ingest`), beside the encoders,
on the same decoded pixels; :meth:`AttributeStep.finish` predicts whatever is still missing
(:func:`skill.catalog.add_attributes.add_attributes`) in a pass of its own. The Ray engine runs the
attribute network in its actors' one-decode pass and writes its shards into the same cache
(:meth:`AttributeStep.add_predicted`).

Probabilities are cached by photo fingerprint like embeddings (``cache/attributes-<model>-
<digest>/``), and written into the version folder::

    attributes/probabilities.npy   (n, labels) float16, row-aligned with items.csv
    attributes/model.json          model name and digest, labels, display names, groups,
                                   thresholds, the encoder whose trunk was shared, timings

Example:
    >>> step = start_attributes(items, roots, catalog_dir, encoders, "auto", cache_for)
    >>> ...                                      # the build embeds, writes the version
    >>> step.finish(version_dir, items)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from skill.catalog.attribute_table import ATTRIBUTES_FOLDER
from skill.encoders.cache import EmbeddingCache, safe_name
from skill.progress import Progress, offset, silent

if TYPE_CHECKING:
    from skill.attributes.checkpoint import AttributeModel
    from skill.encoders.encoder import Encoder


@dataclass
class AttributeStep:
    """The attributes of one build: what was predicted, how, and what is left to do.

    Attributes:
        model: The attribute model.
        cache: Its probabilities by photo fingerprint.
        shared_with: The encoder whose trunk pass also gave the attributes, or ``None``.
        predicted: Photos whose attributes this build computed.
        shared: Of those, photos predicted in the shared pass (their embeddings came with).
        seconds: Time spent predicting (the shared pass counts whole).
    """

    model: AttributeModel
    cache: EmbeddingCache
    roots: dict[str, Path]
    source_column: str = "source"
    batch_size: int = 32
    part_size: int = 256
    runtime: str = "auto"
    report: Progress = silent
    shared_with: str | None = None
    predicted: int = 0
    shared: int = 0
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)

    def finish(
        self,
        version_dir: str | Path,
        items: pd.DataFrame,
        embedded: dict[str, int] | None = None,
        reused: dict[str, int] | None = None,
    ) -> dict:
        """Predicts what is still missing (own network pass) and writes the version's files.

        Returns:
            What ``model.json`` holds (:func:`describe_attributes` sums it up in a line).

        Args:
            version_dir: The new version folder (not yet live).
            items: The final item table (``fingerprint``, ``image_path``).
            embedded: The build's embedded counts: photos embedded in the shared pass are
                moved there from ``reused``, where the embedding loop counted them.
            reused: The build's reused counts.
        """
        keys = items["fingerprint"].tolist()
        todo = [i for i, key in enumerate(keys) if key not in self.cache]
        if todo:
            self._predict(self.model.network(with_trunk=True), items, todo, None)
        if self.shared_with and embedded is not None and reused is not None:
            moved = min(self.shared, reused.get(self.shared_with, 0))
            embedded[self.shared_with] = embedded.get(self.shared_with, 0) + moved
            reused[self.shared_with] -= moved
        probabilities = np.full((len(items), len(self.model.labels)), np.nan, np.float16)
        present = [i for i, key in enumerate(keys) if key in self.cache]
        if present:
            probabilities[present] = self.cache.get([keys[i] for i in present])
        folder = Path(version_dir) / ATTRIBUTES_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "probabilities.npy", probabilities)
        model = self.model
        description = {
            "name": model.name,
            "digest": model.digest,
            "display_name": model.config.get("display_name", model.name),
            "labels": model.labels,
            "display": model.display_names,
            "groups": [entry["group"] for entry in model.config["labels"]],
            "thresholds": model.thresholds,
            "likely_threshold": model.likely_threshold,
            "precision_target": model.config.get("precision_target"),
            "shared_with": self.shared_with,
            "runtime": self.runtime,
            "predicted": self.predicted,
            "missing": len(items) - len(present),
            "seconds": round(self.seconds, 2),
        }
        (folder / "model.json").write_text(json.dumps(description, indent=1) + "\n")
        return description

    def add_predicted(self, count: int, seconds: float, reread: bool = False) -> None:
        """Counts ``count`` photos predicted outside :meth:`_predict` in ``seconds``: by the
        build's one-decode pass, or (``reread``: read the new files of the cache folder) by
        other processes, the Ray engine's actors, whose shards are in the cache folder."""
        if reread:
            self.cache.refresh()
        self.predicted += count
        self.seconds += seconds

    def _path(self, items: pd.DataFrame, row: int) -> Path:
        """The photo of ``row`` under its own source's folder (the only one when unnamed)."""
        relative = items["image_path"].iat[row]
        source = self.source_column
        if source in items and items[source].iat[row] in self.roots:
            return self.roots[items[source].iat[row]] / relative
        return next(iter(self.roots.values())) / relative

    def _predict(self, runner, items, todo, encoder_cache: EmbeddingCache | None) -> None:
        from skill.attributes.model import split_rows
        from skill.encoders.embedding import embed_images

        start = time.perf_counter()
        if self.runtime == "onnx-int8":  # the int8 model kept in this cache's folder
            from skill.encoders.quantize import create_int8_encoder

            sample = np.random.default_rng(0).permutation(len(todo))[:256]
            calibration = [self._path(items, todo[i]) for i in sample]
            runner = create_int8_encoder(runner, calibration, self.cache.folder, spinning=False)
        how = f"sharing {self.shared_with}'s trunk" if encoder_cache is not None else "own pass"
        stage = f"attributes ({how})"
        self.report(stage, 0, len(todo))
        for begin in range(0, len(todo), self.part_size):
            part = todo[begin : begin + self.part_size]
            paths = [self._path(items, i) for i in part]
            result = embed_images(
                runner,
                paths,
                self.batch_size,
                progress=offset(self.report, stage, begin, len(todo)),
                runtime="onnx" if self.runtime == "onnx-int8" else self.runtime,
            )
            keys = [items["fingerprint"].iat[part[j]] for j in result.indices]
            rows = result.embeddings
            if encoder_cache is not None:
                vectors, rows = split_rows(rows, encoder_cache.dim)
                new = [k for k, key in enumerate(keys) if key not in encoder_cache]
                encoder_cache.put([keys[k] for k in new], vectors[new])
                self.shared += len(keys)
            self.cache.put(keys, rows)
            self.predicted += len(keys)
            for j, reason in result.failures:
                self.failures[items["fingerprint"].iat[part[j]]] = reason
        self.seconds += time.perf_counter() - start


def start_attributes(
    items: pd.DataFrame,
    roots: dict[str, Path],
    catalog_dir: str | Path,
    encoders: Sequence[Encoder],
    model: str | None,
    cache_for: Callable[[Encoder], EmbeddingCache],
    batch_size: int = 32,
    part_size: int = 256,
    runtime: str = "auto",
    progress: Progress | None = None,
    source_column: str = "source",
) -> AttributeStep | None:
    """Opens the attribute step of a build and runs its shared pass (see module docstring).

    Args:
        items: The build's items (``fingerprint``, ``image_path``).
        roots: The photos' folder of each source (``items["source"]``), oldest first.
        catalog_dir: The catalog folder (its ``cache/`` holds the probabilities).
        encoders: The build's loaded encoders.
        model: ``"auto"`` (the shipped default model when installed, else no attributes),
            a model name or folder (must load), or ``None`` (no attributes).
        cache_for: The build's embedding cache of an encoder.
        batch_size: Photos per forward pass.
        part_size: Photos per cache part.
        runtime: ``auto``, ``onnx`` or ``torch`` (:func:`skill.encoders.embedding.embed_images`),
            or ``onnx-int8``: the network quantised (:mod:`skill.encoders.quantize`, calibrated
            on the catalog's photos), its probabilities cached apart from float's.
        progress: Build progress.
        source_column: The items' column naming each row's source (a key of ``roots``).

    Returns:
        The step (call :meth:`AttributeStep.finish` once the version is written), or ``None``
        when the build predicts no attributes.
    """
    from skill.attributes.checkpoint import DEFAULT_MODEL, list_attribute_models

    if model is None or model == "none":
        return None
    if model == "auto":
        if DEFAULT_MODEL not in list_attribute_models():
            return None
        model = DEFAULT_MODEL
    loaded = _load(model)
    cache = EmbeddingCache(cache_folder(catalog_dir, loaded, runtime), len(loaded.labels))
    step = AttributeStep(
        loaded,
        cache,
        {k: Path(v) for k, v in roots.items()},
        source_column,
        batch_size,
        part_size,
        runtime,
        progress or silent,
    )
    from skill.attributes.trunk import shares_trunk

    stages = loaded.config["trunk"]["shared_stages"]
    sharer = next((e for e in encoders if shares_trunk(e, stages)), None)
    if sharer is None:
        return step
    from skill.attributes.model import SharedTrunkModel

    step.shared_with = sharer.name
    todo = [i for i, key in enumerate(items["fingerprint"]) if key not in cache]
    if todo:
        runner = SharedTrunkModel(
            sharer, loaded.network(with_trunk=False), stages, loaded.name, loaded.digest
        )
        step._predict(runner, items, todo, cache_for(sharer))
    return step


def describe_attributes(description: dict) -> str:
    """One line for the CLI and the app from a version's ``model.json``: the model, how many
    photos the build that wrote it predicted, in what time and how."""
    how = (
        f"sharing {description['shared_with']}'s trunk pass"
        if description.get("shared_with")
        else "its own network"
    )
    return (
        f"attributes ({description['name']}): {description.get('predicted', 0)} photos "
        f"predicted in {description.get('seconds', 0):.1f} s ({how}), "
        f"{len(description['labels'])} attributes"
    )


def cache_folder(catalog_dir: str | Path, model: AttributeModel, runtime: str = "auto") -> Path:
    """Where a catalog caches ``model``'s probabilities (and, for ``onnx-int8``, its int8
    model: int8 probabilities are not float's, so they have a folder of their own)."""
    int8 = ""
    if runtime == "onnx-int8":  # and per quantisation settings, as the encoders' caches
        from skill.encoders.quantize import int8_settings_tag

        int8 = f"-int8-{int8_settings_tag()}"
    return Path(catalog_dir) / "cache" / f"attributes-{safe_name(model.name)}-{model.digest}{int8}"


_LOADED: dict[tuple[str, float], AttributeModel] = {}


def _load(model: str) -> AttributeModel:
    """Loads a model once per process and file version (a build reuses its network)."""
    from skill.attributes.checkpoint import ASSETS_ATTRIBUTES, WEIGHTS_FILE, load_attribute_model

    folder = Path(model) if Path(model).is_dir() else ASSETS_ATTRIBUTES / model
    weights = folder / WEIGHTS_FILE
    key = (str(folder.resolve()), weights.stat().st_mtime if weights.is_file() else 0.0)
    if key not in _LOADED:
        _LOADED[key] = load_attribute_model(model)
    return _LOADED[key]
