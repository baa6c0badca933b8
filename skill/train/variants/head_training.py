"""Training a projection head on frozen, cached features: the CPU recipe of the colour-variant
encoders (triplet, ATL, parts, simclr), with a resumable state and per-epoch log.

Metric heads (:func:`train_metric_head`) see P x K batches of whole-photo features and a
triplet loss (design ids) or the adaptive triplet loss (text-defined weak classes). Contrastive
heads (:func:`train_contrastive_head`) see batches of photos, each with its cached views, and
NT-Xent. The head L2-normalises its input, so it runs unchanged on the raw backbone output of
the exported encoder.

Example:
    >>> head = train_metric_head(features, design_ids, colours, config)
    >>> embeddings = F.normalize(head(torch.from_numpy(val_features)), dim=-1)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from skill.encoders.heads import ProjectionHead
from skill.train.losses.adaptive_triplet import AdaptiveTripletLoss
from skill.train.losses.nt_xent import NTXentLoss
from skill.train.losses.triplet_loss import TripletLoss
from skill.train.variants.config import VariantConfig
from skill.train.variants.pk_sampler import PKSampler

Progress = Callable[[int, int], None]
EpochLog = Callable[[dict[str, Any]], None]


def create_head(config: VariantConfig, in_dim: int = 1280) -> ProjectionHead:
    """The trainable head: a 2-layer MLP on L2-normalised backbone features."""
    torch.manual_seed(config.seed)
    return ProjectionHead(
        in_dim, config.embedding_dim, config.hidden_dim, num_layers=2, normalize_input=True
    )


def save_head_state(
    folder: str | os.PathLike, head: torch.nn.Module, optimizer: torch.optim.Optimizer, epoch: int
) -> None:
    """Writes head, optimizer moments and the next epoch (safetensors + JSON, no pickle)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {f"head.{k}": v.detach().clone() for k, v in head.state_dict().items()}
    optimizer_state = optimizer.state_dict()
    for index, values in optimizer_state["state"].items():
        for name, value in values.items():
            tensors[f"optimizer.{index}.{name}"] = torch.as_tensor(value).clone()
    save_file(tensors, str(folder / ".tensors.tmp"))
    os.replace(folder / ".tensors.tmp", folder / "tensors.safetensors")
    position = {"epoch": epoch, "param_groups": optimizer_state["param_groups"]}
    (folder / ".state.tmp").write_text(json.dumps(position))
    os.replace(folder / ".state.tmp", folder / "state.json")


def load_head_state(
    folder: str | os.PathLike, head: torch.nn.Module, optimizer: torch.optim.Optimizer
) -> int:
    """Restores what :func:`save_head_state` wrote; returns the epoch to start from (0 if none)."""
    from safetensors.torch import load_file

    folder = Path(folder)
    if not (folder / "state.json").is_file() or not (folder / "tensors.safetensors").is_file():
        return 0
    tensors = load_file(str(folder / "tensors.safetensors"))
    position = json.loads((folder / "state.json").read_text())
    head.load_state_dict(
        {k.removeprefix("head."): v for k, v in tensors.items() if k.startswith("head.")},
        strict=True,
    )
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": position["param_groups"]})
    return int(position["epoch"])


def _run_epochs(
    head: ProjectionHead,
    config: VariantConfig,
    batches: Callable[[int], list],
    step_loss: Callable[[Any], torch.Tensor],
    state_dir: str | os.PathLike | None,
    progress: Progress | None,
    log: EpochLog | None,
) -> ProjectionHead:
    optimizer = torch.optim.AdamW(head.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    start = load_head_state(state_dir, head, optimizer) if state_dir else 0
    # a resumed optimizer carries its ``initial_lr``, so the cosine picks up where it stopped
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=max(config.epochs, 1), last_epoch=start - 1
    )
    for epoch in range(start, config.epochs):
        head.train()
        losses = []
        for batch in batches(epoch):
            loss = step_loss(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        schedule.step()
        if state_dir:
            save_head_state(state_dir, head, optimizer, epoch + 1)
        if log:
            log({"epoch": epoch + 1, "loss": float(np.mean(losses)) if losses else float("nan")})
        if progress:
            progress(epoch + 1, config.epochs)
    return head.eval()


def train_metric_head(
    features: np.ndarray,
    labels: np.ndarray,
    colours: list[str] | None,
    config: VariantConfig,
    texts: np.ndarray | None = None,
    state_dir: str | os.PathLike | None = None,
    progress: Progress | None = None,
    log: EpochLog | None = None,
) -> ProjectionHead:
    """Trains a head with the triplet loss (``texts`` None) or the adaptive triplet loss.

    Args:
        features: Shape (n, in_dim): frozen features of the training photos.
        labels: Shape (n,): design ids (triplet) or weak class ids (ATL).
        colours: Colour of each photo (positives of different colours first), or None.
        config: Margin, mining, P x K, epochs, learning rate, seed.
        texts: Shape (n, vocabulary): unit-norm text vectors; turns on the adaptive margin.
        state_dir: Resumable state folder (written after every epoch), or None.
        progress: ``progress(epoch, epochs)``.
        log: Called with ``{"epoch", "loss"}`` after every epoch.
    """
    x = torch.from_numpy(np.asarray(features, np.float32))
    label_codes = torch.from_numpy(
        np.unique(np.asarray(labels).astype(str), return_inverse=True)[1]
    )
    text_tensor = torch.from_numpy(np.asarray(texts, np.float32)) if texts is not None else None
    head = create_head(config, x.shape[1])
    sampler = PKSampler(labels, colours, config.batch_classes, config.per_class, config.seed)
    if text_tensor is None:
        loss_fn = TripletLoss(config.margin, config.mining)

        def step_loss(batch):
            return loss_fn(head(x[batch]), label_codes[batch])
    else:
        atl = AdaptiveTripletLoss(config.margin)

        def step_loss(batch):
            return atl(head(x[batch]), label_codes[batch], text_tensor[batch])

    return _run_epochs(head, config, sampler.batches, step_loss, state_dir, progress, log)


def train_contrastive_head(
    view_features: np.ndarray,
    config: VariantConfig,
    state_dir: str | os.PathLike | None = None,
    progress: Progress | None = None,
    log: EpochLog | None = None,
) -> ProjectionHead:
    """Trains a head with NT-Xent on cached view features.

    Args:
        view_features: Shape (photos, views, in_dim): frozen features of each photo's views.
        config: Temperature, batch size, epochs, learning rate, seed.
        state_dir: Resumable state folder, or None.
        progress: ``progress(epoch, epochs)``.
        log: Called with ``{"epoch", "loss"}`` after every epoch.
    """
    x = torch.from_numpy(np.asarray(view_features, np.float32))
    photos, views, dim = x.shape
    head = create_head(config, dim)
    loss_fn = NTXentLoss(config.temperature)

    def batches(epoch: int):
        order = np.random.default_rng(config.seed + epoch).permutation(photos)
        size = min(config.batch_size, photos)
        return [order[i : i + size] for i in range(0, photos - size + 1, size)]

    def step_loss(batch):
        return loss_fn(head(x[batch].reshape(-1, dim)).reshape(len(batch), views, -1))

    return _run_epochs(head, config, batches, step_loss, state_dir, progress, log)


@torch.inference_mode()
def embed_features(
    head: torch.nn.Module, features: np.ndarray, batch_size: int = 4096
) -> np.ndarray:
    """Unit-norm embeddings of cached features through a head. (n, in_dim) -> (n, out_dim)."""
    head.eval()
    out = [
        F.normalize(
            head(torch.from_numpy(np.asarray(features[i : i + batch_size], np.float32))), dim=-1
        )
        for i in range(0, len(features), batch_size)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)
