"""Training a projection head on frozen, cached features: the CPU recipe of the colour-variant
encoders (triplet, ATL, parts, simclr), with a resumable state and per-epoch log.

Metric heads (:func:`train_metric_head`) see P x K batches of whole-photo features and a
triplet loss (design ids) or the adaptive triplet loss (text-defined weak classes). Contrastive
heads (:func:`train_contrastive_head`) see batches of photos, each with its cached views, and
NT-Xent. The head L2-normalises its input, so it runs unchanged on the raw backbone output of
the exported encoder.

Example:
    >>> supervision = VARIANT_METHODS["triplet"].supervision(config, train_items)
    >>> head = train_metric_head(features, supervision, config)
    >>> embeddings = embed_features(head, val_features)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from skill.encoders.heads import ProjectionHead
from skill.progress import Progress
from skill.train.losses.nt_xent import NTXentLoss
from skill.train.state import load_state, save_state
from skill.train.variants.config import VariantConfig
from skill.train.variants.methods import Supervision
from skill.train.variants.pk_sampler import PKSampler

EpochLog = Callable[[dict[str, Any]], None]
"""``log(record)`` after every epoch, e.g. ``{"epoch": 3, "loss": 0.41}`` (the run's log.jsonl)."""


def create_head(config: VariantConfig, in_dim: int = 1280) -> ProjectionHead:
    """The trainable head: a 2-layer MLP on L2-normalised backbone features."""
    torch.manual_seed(config.seed)
    return ProjectionHead(
        in_dim, config.embedding_dim, config.hidden_dim, num_layers=2, normalize_input=True
    )


def save_head_state(
    folder: str | os.PathLike,
    modules: dict[str, torch.nn.Module],
    optimizer: torch.optim.Optimizer,
    epoch: int,
) -> None:
    """Writes the trained modules, optimizer moments and the next epoch, as one atomic folder
    (:func:`skill.train.state.save_state`)."""
    save_state(folder, modules, optimizer, {"epoch": epoch})


def load_head_state(
    folder: str | os.PathLike,
    modules: dict[str, torch.nn.Module],
    optimizer: torch.optim.Optimizer,
) -> int:
    """Restores what :func:`save_head_state` wrote; returns the epoch to start from (0 if none)."""
    position = load_state(folder, modules, optimizer)
    return 0 if position is None else int(position["epoch"])


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
    start = load_head_state(state_dir, {"head": head}, optimizer) if state_dir else 0
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
            save_head_state(state_dir, {"head": head}, optimizer, epoch + 1)
        if log:
            log({"epoch": epoch + 1, "loss": float(np.mean(losses)) if losses else float("nan")})
        if progress:
            progress("epochs", epoch + 1, config.epochs, "epochs")
    return head.eval()


def train_metric_head(
    features: np.ndarray,
    supervision: Supervision,
    config: VariantConfig,
    state_dir: str | os.PathLike | None = None,
    progress: Progress | None = None,
    log: EpochLog | None = None,
) -> ProjectionHead:
    """Trains a head on P x K batches with a metric method's loss.

    Args:
        features: Shape (n, in_dim): frozen features of the training photos.
        supervision: Classes, colours, loss and texts of the n photos
            (:class:`skill.train.variants.methods.Supervision`).
        config: P x K, epochs, learning rate, seed.
        state_dir: Resumable state folder (written after every epoch), or None.
        progress: Reports stage ``epochs``.
        log: Called with ``{"epoch", "loss"}`` after every epoch.
    """
    x = torch.from_numpy(np.asarray(features, np.float32))
    codes = supervision.codes()
    texts = supervision.texts
    head = create_head(config, x.shape[1])
    sampler = PKSampler(
        supervision.labels, supervision.colours, config.batch_classes, config.per_class, config.seed
    )

    def step_loss(batch):
        return supervision.loss(
            head(x[batch]), codes[batch], None if texts is None else texts[batch]
        )

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
        progress: Reports stage ``epochs``.
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
