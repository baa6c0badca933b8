"""Frozen features of every labelled photo, clean and pasted on clutter, computed once.

The heads train on features of a frozen network, so the network runs once per photo and the
heads train in minutes on 2 CPU cores. For every photo the store holds the maps after
ImageNet Lite0's last stage (the shared trunk, then stages 5 and 6: shape (320, 7, 7),
float16) of the photo and of its cluttered copy (:mod:`skill.images.clutter`), and three
localisation targets: the product's share of each 7x7 cell of the network input in the photo
(its product mask), in the copy (where it was pasted) and as a mask estimated from the copy
as if it were a packshot (what "the foreground" gives on a cluttered photo). The head
convolution (320 -> 1280 channels, :func:`head_modules`) runs at training time: storing its
output would take four times the space.

Layout of ``feature_dir``::

    manifest.json   image paths, clutter seed, ImageNet weights digest, photos done
    clean.npy       (n, 320, 7, 7) float16
    clutter.npy     (n, 320, 7, 7) float16
    masks.npz       clean, clutter, clutter_estimated: (n, 7, 7) float16 in [0, 1]

A killed run resumes at the last finished chunk.

Example:
    >>> store = build_feature_store(items, images_dir, "data/attributes/features")
    >>> store.clean.shape
    (9388, 320, 7, 7)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch import nn

from skill.attributes.trunk import (
    PREPROCESS,
    SHARED_STAGES,
    imagenet_backbone,
    trunk_modules,
    weights_digest,
)
from skill.images.clutter import clutter_rng, paste_on_clutter, product_mask
from skill.images.decode import load_image
from skill.images.preprocess import Preprocess, resize_image, to_tensor

GRID = 7
"""Side of the feature grid at 224 px (stride 32)."""
STORED_CHANNELS = 320
MASK_NAMES = ("clean", "clutter", "clutter_estimated")


def stored_modules(backbone: nn.Module) -> list[nn.Module]:
    """Layers from pixels to the stored maps: the shared trunk, then stages 5 and 6."""
    return [*trunk_modules(backbone), *list(backbone.blocks)[SHARED_STAGES:]]


def head_modules(backbone: nn.Module) -> nn.Sequential:
    """Layers from the stored maps to the (1280, 7, 7) features: head convolution + BN + act."""
    return nn.Sequential(backbone.conv_head, backbone.bn2).eval()


def cell_shares(mask: np.ndarray, preprocess: Preprocess = PREPROCESS, grid: int = GRID):
    """The product's share of each cell of the network input, the photo resized as the trunk sees it.

    Args:
        mask: Shape (height, width), bool: the product in the photo.
        preprocess: The trunk's preprocessing (the same resize and centre crop).
        grid: Cells per side. The input side must be a multiple of it.

    Returns:
        Shape (grid, grid), float32 in [0, 1].
    """
    size = preprocess.input_size
    if size % grid:
        raise ValueError(f"input size {size} is not a multiple of grid {grid}")
    picture = Image.fromarray(np.asarray(mask, np.uint8) * 255).convert("RGB")
    square = np.asarray(resize_image(picture, preprocess), np.float32)[..., 0] / 255.0
    cell = size // grid
    return square.reshape(grid, cell, grid, cell).mean(axis=(1, 3)).clip(0, 1)


@dataclass
class FeatureStore:
    """Stored features and localisation targets (see the module docstring).

    Attributes:
        keys: Image path of each row.
        clean: Shape (n, 320, 7, 7), float16 (memory-mapped).
        clutter: Shape (n, 320, 7, 7), float16 (memory-mapped).
        masks: ``clean``, ``clutter``, ``clutter_estimated``: shape (n, 7, 7), float32.
    """

    keys: list[str]
    clean: np.ndarray
    clutter: np.ndarray
    masks: dict[str, np.ndarray]

    def rows(self, keys: list[str] | pd.Series) -> np.ndarray:
        """Row of each key; raises ``KeyError`` naming a missing one."""
        position = {key: i for i, key in enumerate(self.keys)}
        missing = [k for k in keys if k not in position]
        if missing:
            raise KeyError(f"{len(missing)} photos not in the feature store, e.g. {missing[0]!r}")
        return np.asarray([position[k] for k in keys], dtype=np.int64)


def build_feature_store(
    items: pd.DataFrame,
    images_dir: str | os.PathLike,
    folder: str | os.PathLike,
    clutter_seed: int = 0,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> FeatureStore:
    """Computes (or resumes, or reuses) the stored features of every item's photo.

    Args:
        items: Item table; ``image_path`` relative to ``images_dir``.
        images_dir: Folder of the photos.
        folder: The store's folder; reused when its manifest matches.
        clutter_seed: Seed of the cluttered copies.
        batch_size: Photos per forward pass (each also as its copy). Typical 16-64.
        progress: Optional ``progress(done, total)``.

    Returns:
        The store, features memory-mapped read-only.
    """
    folder = Path(folder)
    paths = items["image_path"].astype(str).tolist()
    n = len(paths)
    identity = {"paths": paths, "clutter_seed": clutter_seed, "weights": weights_digest()}
    manifest_path = folder / "manifest.json"
    done = 0
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if {k: manifest.get(k) for k in identity} == identity:
            done = int(manifest.get("done", 0))
    folder.mkdir(parents=True, exist_ok=True)
    shape = (n, STORED_CHANNELS, GRID, GRID)
    mode = "r+" if done else "w+"
    arrays = {
        name: np.lib.format.open_memmap(folder / f"{name}.npy", mode, np.float16, shape)
        for name in ("clean", "clutter")
    }
    masks_path = folder / "masks.npz"
    if done and masks_path.is_file():
        with np.load(masks_path) as data:
            masks = {name: data[name].astype(np.float32) for name in MASK_NAMES}
    else:
        done = 0
        masks = {name: np.zeros((n, GRID, GRID), np.float32) for name in MASK_NAMES}
    if done < n:
        network = _network(folder)
        root = Path(images_dir)

        def prepare(i: int):
            return _prepare(load_image(root / paths[i]), paths[i], clutter_seed)

        with ThreadPoolExecutor(max_workers=2) as pool:
            for start in range(done, n, batch_size):
                stop = min(start + batch_size, n)
                prepared = list(pool.map(prepare, range(start, stop)))
                images = torch.stack([p[0] for p in prepared] + [p[1] for p in prepared])
                maps = network(images).astype(np.float16)
                arrays["clean"][start:stop] = maps[: stop - start]
                arrays["clutter"][start:stop] = maps[stop - start :]
                for j, name in enumerate(MASK_NAMES):
                    masks[name][start:stop] = np.stack([p[2 + j] for p in prepared])
                for array in arrays.values():
                    array.flush()
                _atomic_savez(masks_path, {k: v.astype(np.float16) for k, v in masks.items()})
                manifest_path.write_text(json.dumps({**identity, "done": stop}))
                if progress:
                    progress(stop, n)
    del arrays
    return FeatureStore(
        paths,
        np.load(folder / "clean.npy", mmap_mode="r"),
        np.load(folder / "clutter.npy", mmap_mode="r"),
        masks,
    )


def head_features(
    store: FeatureStore,
    folder: str | os.PathLike,
    batch_size: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> FeatureStore:
    """The store with its maps run through the frozen head convolution, (n, 1280, 7, 7) float16.

    Every head trains for many epochs on the same frozen features, so the head convolution
    (320 -> 1280 channels) runs once per photo here instead of once per step; the result
    (about 2.4 GB for 9,388 photos, clean and cluttered) is kept as ``head_clean.npy`` and
    ``head_clutter.npy`` and reused while the store's manifest is unchanged.

    Returns:
        A :class:`FeatureStore` with the same keys and masks.
    """
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    stamp = folder / "head.json"
    identity = {"paths": manifest["paths"], "weights": manifest["weights"],
                "clutter_seed": manifest["clutter_seed"]}  # fmt: skip
    n = len(store.keys)
    if not (stamp.is_file() and json.loads(stamp.read_text()) == identity):
        layers = head_modules(imagenet_backbone())
        done = 0
        for name in ("clean", "clutter"):
            source = getattr(store, name)
            target = np.lib.format.open_memmap(
                folder / f"head_{name}.npy", "w+", np.float16, (n, 1280, GRID, GRID)
            )
            for start in range(0, n, batch_size):
                block = torch.from_numpy(np.asarray(source[start : start + batch_size], np.float32))
                with torch.inference_mode():
                    target[start : start + batch_size] = layers(block).numpy().astype(np.float16)
                done += len(block)
                if progress:
                    progress(done, 2 * n)
            target.flush()
            del target
        stamp.write_text(json.dumps(identity))
    return FeatureStore(
        store.keys,
        np.load(folder / "head_clean.npy", mmap_mode="r"),
        np.load(folder / "head_clutter.npy", mmap_mode="r"),
        store.masks,
    )


def _prepare(image: Image.Image, key: str, seed: int):
    """Tensors of the photo and of its cluttered copy, and the three localisation targets."""
    mask = product_mask(image)
    cluttered, pasted = paste_on_clutter(image, mask, clutter_rng(seed, key))
    estimated = product_mask(cluttered)  # "the foreground" of a photo that is no packshot
    return (
        to_tensor(image, PREPROCESS),
        to_tensor(cluttered, PREPROCESS),
        cell_shares(mask),
        cell_shares(pasted),
        cell_shares(estimated),
    )


def _network(folder: Path) -> Callable[[torch.Tensor], np.ndarray]:
    """The stored layers in ONNX Runtime where installed (about 3x eager torch), else torch."""
    import importlib.util

    model = nn.Sequential(*stored_modules(imagenet_backbone())).eval()
    if not all(importlib.util.find_spec(m) for m in ("onnx", "onnxruntime")):

        def eager(images: torch.Tensor) -> np.ndarray:
            with torch.inference_mode():
                return model(images).numpy()

        return eager
    from skill.encoders.onnx import ONNX_OPSET, onnx_session

    path = folder / "stored-layers.onnx"
    staging = path.with_name(f"stored-layers.{os.getpid()}.tmp.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model,
            (torch.zeros(1, 3, PREPROCESS.input_size, PREPROCESS.input_size),),
            str(staging),
            dynamo=False,
            input_names=["images"],
            output_names=["maps"],
            dynamic_axes={"images": {0: "batch"}, "maps": {0: "batch"}},
            opset_version=ONNX_OPSET,
        )
    staging.replace(path)
    session = onnx_session(path)

    def run(images: torch.Tensor) -> np.ndarray:
        array = np.ascontiguousarray(images.numpy(), dtype=np.float32)
        return session.run(None, {"images": array})[0]

    return run


def _atomic_savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    temporary = path.with_name(f".{path.stem}.tmp.npz")
    np.savez(temporary, **arrays)
    os.replace(temporary, path)
