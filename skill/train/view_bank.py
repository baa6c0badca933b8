"""A bank of frozen-trunk outputs of many augmented views per photo: the CPU recipe's fuel.

On two CPU cores the frozen trunk (stem and first stages, at full view resolution) costs more
than everything the training step does after it, and a run that draws fresh views every step
spends its budget there: one epoch in 30 minutes. The bank runs the trunk once over
``rounds`` draws of every photo's views (each draw is the augmentation space's full
multi-crop: ``num_global`` global views and ``num_local`` local views) and keeps the trunk's
feature maps as float16 arrays on disk. Training then samples two global and ``num_local``
local maps of a photo from the bank each step and trains only the tail, so the run sees many
epochs for the cost of ``rounds``. The trade: each photo has only ``rounds * num_global``
global views, so a long run revisits views; two to four rounds were enough here.

The trunk runs in ONNX Runtime when it is installed (about 3x eager torch on a CPU).

Layout of a bank folder: ``globals.npy`` (n, G, C, h, w) and ``locals.npy`` (n, L, C, h', w'),
float16, row-aligned with the image cache, and ``bank.json`` with the settings that made it
(a folder whose settings differ is rebuilt).

Example:
    >>> bank = build_view_bank(cache, SkillViews(128, 64), model.run_trunk, rounds=2,
    ...                        folder=data_path("train-cache/bank-skill"))
    >>> globals_, locals_ = bank.draw([0, 5, 9], num_local=4, rng=np.random.default_rng(0))
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from skill.images.preprocess import Preprocess
from skill.progress import Progress
from skill.train.data import ImageCache

Trunk = Callable[[torch.Tensor], torch.Tensor]
Recolor = Callable[[Image.Image, tuple[int, int, int], np.random.Generator], Image.Image]
"""``recolor(image, background, rng) -> image``: a colour space applied to a whole photo."""


class ViewBank:
    """Trunk feature maps of the stored views of every photo.

    Attributes:
        globals: Shape (n, G, C, h, w), float16.
        locals: Shape (n, L, C, h', w'), float16 (L may be 0).
    """

    def __init__(self, globals_: np.ndarray, locals_: np.ndarray) -> None:
        if len(globals_) != len(locals_) or globals_.shape[1] < 2:
            raise ValueError("need equal photo counts and at least 2 global views per photo")
        self.globals = globals_
        self.locals = locals_

    def __len__(self) -> int:
        return len(self.globals)

    def draw(
        self, photos: Sequence[int], num_local: int, rng: np.random.Generator, plain: int = 0
    ) -> list[torch.Tensor]:
        """Two distinct global maps and ``num_local`` local maps of each photo.

        Args:
            photos: Row indices.
            num_local: Local maps per photo, at most the bank's.
            rng: Random generator.
            plain: 0 draws any two global views. N > 0 (a photo bank with recolourings, whose
                first N views are the plain photo and mirror) draws the first from the plain
                views and the second from the recoloured ones, in random order.

        Returns:
            ``2 + num_local`` tensors, view-major like the image views: tensor ``v`` has shape
            (len(photos), C, h, w) and holds view ``v`` of every photo.
        """
        photos = np.asarray(photos)
        n_global, n_local = self.globals.shape[1], self.locals.shape[1]
        if num_local > n_local:
            raise ValueError(f"bank holds {n_local} local views per photo, asked for {num_local}")
        if plain:
            if not 0 < plain < n_global:
                raise ValueError(f"plain must be in (0, {n_global}), got {plain}")
            first = rng.integers(0, plain, len(photos))
            second = rng.integers(plain, n_global, len(photos))
            swap = rng.random(len(photos)) < 0.5
            first, second = np.where(swap, second, first), np.where(swap, first, second)
        else:
            first = rng.integers(0, n_global, len(photos))
            second = (first + rng.integers(1, n_global, len(photos))) % n_global
        views = [self.globals[photos, first], self.globals[photos, second]]
        if num_local:
            chosen = np.argsort(rng.random((len(photos), n_local)), axis=1)[:, :num_local]
            views += [self.locals[photos, chosen[:, j]] for j in range(num_local)]
        return [torch.from_numpy(np.asarray(v, dtype=np.float32)) for v in views]


def build_view_bank(
    cache: ImageCache,
    views: Callable,
    trunk: Trunk,
    rounds: int,
    folder: str | os.PathLike,
    settings: dict | None = None,
    seed: int = 0,
    batch_size: int = 32,
    num_threads: int = 2,
    progress: Progress | None = None,
) -> ViewBank:
    """Computes (or reopens) the bank of ``cache``'s photos.

    Args:
        cache: The pre-resized photos.
        views: ``views(image, box, background, rng) -> [globals..., locals...]`` with a
            ``num_global`` and ``num_local`` attribute (e.g.
            :class:`skill.train.dino.views.SkillViews`).
        trunk: Frozen trunk, images (b, 3, s, s) -> feature maps.
        rounds: Draws of every photo's views. Typical 2-4.
        folder: Bank folder; reopened when its ``bank.json`` equals this call's settings.
        settings: Anything else that changes the bank (view space, trunk weights); stored and
            compared.
        seed: Seed of the views: photo ``i`` in round ``r`` uses ``seed + r * n + i``, as
            :class:`skill.train.data.ViewDataset` does in epoch ``r``.
        batch_size: Photos per trunk pass.
        num_threads: Threads drawing views ahead of the trunk.
        progress: Reports stage ``view bank`` over photo rounds.

    Returns:
        The :class:`ViewBank`.
    """
    folder = Path(folder)
    n = len(cache)
    described = {
        "photos": n,
        "rounds": rounds,
        "seed": seed,
        "num_global": views.num_global,
        "num_local": views.num_local,
        **(settings or {}),
    }
    stored = _reopen(folder, described)
    if stored is not None:
        return stored
    staging = _staging(folder)

    def draw(photo: int, round_: int) -> list[torch.Tensor]:
        rng = np.random.default_rng(seed + round_ * n + photo)
        box = tuple(int(v) for v in cache.boxes[photo])
        background = tuple(int(v) for v in cache.backgrounds[photo])
        return views(cache.image(photo), box, background, rng)

    g, l_ = views.num_global, views.num_local
    arrays: dict[str, np.ndarray] = {}
    jobs = [(start, r) for r in range(rounds) for start in range(0, n, batch_size)]
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, num_threads)) as pool, torch.inference_mode():

        def submit(job):
            start, r = job
            return pool.map(lambda i: draw(i, r), range(start, min(start + batch_size, n)))

        pending = [submit(job) for job in jobs[:2]]
        for position, (start, r) in enumerate(jobs):
            drawn = list(pending.pop(0))
            if position + 2 < len(jobs):
                pending.append(submit(jobs[position + 2]))
            stop = start + len(drawn)
            for kind, first, count, slot in (("globals", 0, g, r * g), ("locals", g, l_, r * l_)):
                if count == 0:
                    continue
                batch = torch.stack([v for views_ in drawn for v in views_[first : first + count]])
                maps = trunk(batch).numpy().astype(np.float16)
                maps = maps.reshape(len(drawn), count, *maps.shape[1:])
                if kind not in arrays:
                    arrays[kind] = np.lib.format.open_memmap(
                        staging / f"{kind}.npy",
                        "w+",
                        np.float16,
                        (n, rounds * count, *maps.shape[2:]),
                    )
                arrays[kind][start:stop, slot : slot + count] = maps
            done += len(drawn)
            if progress:
                progress("view bank", done, n * rounds)
    for kind in ("globals", "locals"):
        if kind in arrays:
            arrays[kind].flush()
        else:  # no local views: an empty array keeps the layout
            np.save(staging / f"{kind}.npy", np.zeros((n, 0, 1, 1, 1), np.float16))
    del arrays
    return _finish(staging, folder, described)


def build_photo_bank(
    items: pd.DataFrame,
    images_dir: str | os.PathLike,
    preprocess: Preprocess,
    trunk: Trunk,
    folder: str | os.PathLike,
    settings: dict | None = None,
    batch_size: int = 64,
    progress: Progress | None = None,
    recolor: Recolor | None = None,
    recolorings: int = 0,
    seed: int = 0,
) -> ViewBank:
    """Trunk maps of every photo exactly as the exported encoder will see it, and of its mirror.

    The supervised recipes need no augmentation space: a design's other colours are its
    positives. What they need is the encoder's own input: a tail trained on maps of 128 px
    views and run on 224 px photos sees maps of another size and scale, and loses what it
    learned (``bank`` triplet trained at 128 px: 0.419 hit@1 on the validation designs, below
    its untrained start). This bank holds two views per photo, the photo under ``preprocess`` and
    its left-right mirror, so training and the exported encoder share one input.

    With ``recolorings`` > 0 it also holds that many recoloured copies of each photo (mirrored
    at random, then ``recolor``): the self-supervised recipes pair a plain view with a
    recoloured one (:meth:`ViewBank.draw` with ``plain=2``), so the colour change is the only
    difference the tail must learn to ignore, in the encoder's own framing.

    Args:
        items: Item table with ``image_path`` relative to ``images_dir``.
        images_dir: Folder of the photos.
        preprocess: The exported encoder's preprocessing.
        trunk: Frozen trunk, images (b, 3, s, s) -> feature maps.
        folder: Bank folder; reopened when its ``bank.json`` equals this call's settings.
        settings: Anything else that changes the bank (trunk weights); stored and compared.
        batch_size: Photos per trunk pass.
        progress: Reports stage ``photo bank`` over photos.
        recolor: ``recolor(image, background, rng) -> image``, a colour space such as
            :meth:`skill.train.dino.views.SkillViews.recolor_view`; needed when
            ``recolorings`` > 0.
            Describe it in ``settings`` so a changed space rebuilds the bank.
        recolorings: Recoloured copies per photo. Typical 2-4; each costs one trunk pass.
        seed: Seed of the recolourings: photo ``i`` draws from ``default_rng([seed, i])``.

    Returns:
        A :class:`ViewBank` with ``2 + recolorings`` global views per photo (photo, mirror,
        then the recoloured copies) and no local views.
    """
    from PIL import ImageOps

    from skill.images.decode import load_image
    from skill.images.preprocess import border_color, to_tensor

    if recolorings and recolor is None:
        raise ValueError("recolorings > 0 needs a recolor function")
    folder = Path(folder)
    paths = items["image_path"].astype(str).tolist()
    described = {
        "photos": paths,
        "preprocess": preprocess.to_dict(),
        "views": ["photo", "mirror"] + [f"recolored-{k}" for k in range(recolorings)],
        **({"seed": seed} if recolorings else {}),
        **(settings or {}),
    }
    stored = _reopen(folder, described)
    if stored is not None:
        return stored
    staging = _staging(folder)
    maps_out = None
    with torch.inference_mode():
        for start in range(0, len(paths), batch_size):
            photos = [load_image(Path(images_dir) / p) for p in paths[start : start + batch_size]]
            views = [to_tensor(p, preprocess) for p in photos]
            views += [to_tensor(ImageOps.mirror(p), preprocess) for p in photos]
            rngs = [np.random.default_rng([seed, start + i]) for i in range(len(photos))]
            for _ in range(recolorings):
                for photo, rng in zip(photos, rngs, strict=True):
                    flipped = ImageOps.mirror(photo) if rng.random() < 0.5 else photo
                    recolored = recolor(flipped, border_color(photo), rng)
                    views.append(to_tensor(recolored, preprocess))
            maps = trunk(torch.stack(views)).numpy().astype(np.float16)
            maps = maps.reshape(-1, len(photos), *maps.shape[1:]).swapaxes(0, 1)
            if maps_out is None:
                maps_out = np.lib.format.open_memmap(
                    staging / "globals.npy", "w+", np.float16, (len(paths), *maps.shape[1:])
                )
            maps_out[start : start + len(photos)] = maps
            if progress:
                progress("photo bank", start + len(photos), len(paths))
    if maps_out is not None:
        maps_out.flush()
    del maps_out
    np.save(staging / "locals.npy", np.zeros((len(paths), 0, 1, 1, 1), np.float16))
    return _finish(staging, folder, described)


def photo_bank_folder(
    cache_dir: str | os.PathLike,
    frozen_stages: int,
    grayscale: bool,
    method: str = "",
    recolorings: int = 0,
    seed: int = 0,
) -> Path:
    """Where a photo bank lives. Plain banks (photo and mirror) are named alike for every
    recipe, so the supervised recipes and the SkiLL whitening share one; recoloured banks carry
    the colour space's method and the seed their recolourings were drawn with."""
    grey = "-gray" if grayscale else ""
    kind = f"-{method}-c{recolorings}-s{seed}" if recolorings else ""
    return Path(cache_dir) / f"photo-bank{kind}{grey}-f{frozen_stages}"


def _reopen(folder: Path, described: dict) -> ViewBank | None:
    """The stored bank when its ``bank.json`` equals ``described``, else None (and no folder)."""
    meta = folder / "bank.json"
    if meta.is_file() and json.loads(meta.read_text()) == json.loads(json.dumps(described)):
        return _open(folder)
    if folder.exists():
        shutil.rmtree(folder)
    return None


def _staging(folder: Path) -> Path:
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def _finish(staging: Path, folder: Path, described: dict) -> ViewBank:
    """Writes ``bank.json`` and moves the finished bank into place."""
    (staging / "bank.json").write_text(json.dumps(described, indent=1), encoding="utf-8")
    staging.rename(folder)
    return _open(folder)


def _open(folder: Path) -> ViewBank:
    return ViewBank(
        np.load(folder / "globals.npy", mmap_mode="r"),
        np.load(folder / "locals.npy", mmap_mode="r"),
    )


def onnx_trunk(modules: Sequence[torch.nn.Module], folder: str | os.PathLike) -> Trunk:
    """The frozen trunk in ONNX Runtime (any batch and view size), or eager torch without it.

    Outputs equal eager torch to about 1e-5 (tested); the bank stores float16 anyway.
    """
    import importlib.util

    trunk = torch.nn.Sequential(*modules).eval()

    def eager(images: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return trunk(images)

    if not all(importlib.util.find_spec(m) for m in ("onnx", "onnxruntime")):
        return eager
    from skill.encoders.onnx import ONNX_OPSET, onnx_session

    path = Path(folder) / "trunk.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f"trunk.{os.getpid()}.tmp.onnx")  # runs side by side share folder
    with torch.no_grad():
        torch.onnx.export(
            trunk,
            (torch.zeros(1, 3, 64, 64),),
            str(staging),
            dynamo=False,
            input_names=["images"],
            output_names=["maps"],
            dynamic_axes={"images": {0: "b", 2: "h", 3: "w"}, "maps": {0: "b", 2: "h", 3: "w"}},
            opset_version=ONNX_OPSET,
        )
    staging.replace(path)
    session = onnx_session(path)

    def run(images: torch.Tensor) -> torch.Tensor:
        array = np.ascontiguousarray(images.numpy(), dtype=np.float32)
        return torch.from_numpy(session.run(None, {"images": array})[0])

    return run
