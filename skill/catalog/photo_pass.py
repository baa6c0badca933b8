"""The local build's one pass over its photos: colours, embeddings and attributes, one decode.

:func:`read_photos` streams the photos a build must read through
:func:`skill.catalog.ingest.read_and_embed` (each photo decoded once, decoding one batch ahead
of the networks): the dominant colour of every photo the live version does not know, and the
rows each network's cache lacks (the encoders', and the attribute model's when it does not
share an encoder's trunk), written into those caches a part at a time so a killed build
resumes where it stopped.

Example:
    >>> items, embedded, seconds = read_photos(items, roots, previous, report,
    ...                                        {"lite0": encoder}, caches, config)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from skill.catalog.ingest import batch_model, draft_size, read_and_embed
from skill.catalog.store import SOURCE_COLUMN

if TYPE_CHECKING:
    from skill.catalog.build import CatalogConfig


def read_photos(
    items, roots, previous, report, networks, caches, config: CatalogConfig, runtimes=None,
    optional=(),
) -> tuple[pd.DataFrame, dict[str, int], dict[str, float]]:  # fmt: skip
    """The local build's one pass over its photos (:mod:`skill.catalog.ingest`): each photo is
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
    runtimes = runtimes or {}
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
            config.int8_min_agreement,
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
