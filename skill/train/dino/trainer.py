"""The SkiLL / DINO training loop: multi-crop self-distillation with resumable state.

One step (:meth:`Distillation.step`): draw the views of a batch of photos; run the frozen
trunk once on every view; the student's tail and head embed all views, the teacher's embed the
global ones; DINO's loss; AdamW step on the student with scheduled learning rate and weight
decay; EMA update of the teacher with scheduled momentum. No labels are read except to hold
out whole designs.

A run folder holds ``state/`` (resumable: student, teacher, optimizer, loss centre, schedule
position; :mod:`skill.train.state`), ``config.json`` (the recipe, paths as given),
``log.jsonl`` (one line per epoch: loss, lr, momentum, teacher temperature, seconds, and
validation figures when evaluated) and ``encoder/`` (the teacher as an encoder checkpoint).
Running again with the same output folder resumes where it stopped.

Example:
    >>> config = dataclasses.replace(PRESETS["cpu"], output_dir="runs/skill")
    >>> summary = train(config, progress=show)  # show(stage, done, total, unit)
    >>> summary["metrics"]["hit@1"]
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from skill.progress import Progress
from skill.train.calibrate import calibrate_export
from skill.train.data import ImageCache, ViewDataset
from skill.train.device import resolve_device
from skill.train.dino.banks import (
    BankDataset,
    build_run_bank,
    build_run_photo_bank,
    create_views,
)
from skill.train.dino.card import export_teacher, training_record
from skill.train.dino.config import TrainConfig
from skill.train.dino.data import RunPhotos, prepare_photos
from skill.train.dino.ema import update_teacher
from skill.train.dino.evaluate import evaluate_teacher
from skill.train.dino.model import create_model, param_groups
from skill.train.dino.neighbours import mutual_partners, photo_features
from skill.train.dino.prototypes import init_prototypes, init_prototypes_from_maps
from skill.train.dino.schedules import cosine_schedule, teacher_temp_schedule
from skill.train.dino.whitening import fit_teacher_whitening
from skill.train.losses.dino_loss import DINOLoss
from skill.train.multicrop import MultiCropModel
from skill.train.state import has_state, load_state, save_state
from skill.train.view_bank import ViewBank


@dataclass(frozen=True)
class StepSchedules:
    """The value of each scheduled setting at every step. Shape (total_steps,) each."""

    lr: np.ndarray
    weight_decay: np.ndarray
    momentum: np.ndarray
    teacher_temp: np.ndarray

    @classmethod
    def of(cls, config: TrainConfig, total_steps: int) -> StepSchedules:
        """DINO's schedules over ``total_steps``: cosine learning rate after a linear warm-up,
        cosine weight decay, teacher momentum rising to 1, teacher temperature warm-up."""
        return cls(
            lr=cosine_schedule(
                config.lr, config.min_lr, total_steps, min(config.warmup_steps, total_steps)
            ),
            weight_decay=cosine_schedule(config.weight_decay, config.weight_decay_end, total_steps),
            momentum=cosine_schedule(config.momentum_teacher, 1.0, total_steps),
            teacher_temp=teacher_temp_schedule(
                config.warmup_teacher_temp,
                config.teacher_temp,
                total_steps,
                config.warmup_teacher_temp_steps,
            ),
        )


@dataclass
class Distillation:
    """The networks, loss and optimizer of one run, and the step that trains them.

    Attributes:
        student: The trained network.
        teacher: Its exponential moving average; never receives gradients.
        loss_fn: DINO's loss (its centre is state).
        optimizer: AdamW over :func:`skill.train.dino.model.param_groups`.
        config: The run (stored maps or images, gradient clipping, prototype freeze).
        device: Where the networks run.
    """

    student: MultiCropModel
    teacher: MultiCropModel
    loss_fn: DINOLoss
    optimizer: torch.optim.Optimizer
    config: TrainConfig
    device: torch.device

    @classmethod
    def create(
        cls, student: MultiCropModel, config: TrainConfig, device: torch.device
    ) -> Distillation:
        """The teacher as a frozen copy of ``student``, a fresh loss and optimizer."""
        teacher = copy.deepcopy(student).requires_grad_(False)
        loss_fn = DINOLoss(config.out_dim, 2, config.student_temp, config.center_momentum)
        optimizer = torch.optim.AdamW(param_groups(student, config), lr=config.lr)
        return cls(student, teacher, loss_fn.to(device), optimizer, config, device)

    @property
    def modules(self) -> dict[str, torch.nn.Module]:
        """What the resumable state holds, by name."""
        return {"student": self.student, "teacher": self.teacher, "loss": self.loss_fn}

    def step(self, views: list[torch.Tensor], step: int, schedules: StepSchedules) -> float:
        """One optimizer step on a batch of views; returns the loss.

        Args:
            views: Two global views, then the local ones; each of shape (batch, 3, s, s), or
                trunk maps (batch, C, h, w) when the run trains on stored maps.
            step: The global step (indexes ``schedules``).
            schedules: The run's scheduled settings.

        Raises:
            FloatingPointError: The loss is not finite.
        """
        config, student, teacher = self.config, self.student, self.teacher
        views = [v.to(self.device, non_blocking=True) for v in views]
        global_views, local_views = views[:2], views[2:]
        trunk = (lambda maps: maps) if config.stored_maps else student.run_trunk
        global_trunk = trunk(torch.cat(global_views))
        parts = [student.run_tail(global_trunk)]
        if local_views:
            parts.append(student.run_tail(trunk(torch.cat(local_views))))
        student_out = student.head(torch.cat(parts))
        with torch.no_grad():
            # Frozen trunks are equal in student and teacher: reuse the student's trunk output.
            teacher_out = teacher.head(teacher.run_tail(global_trunk))
        loss = self.loss_fn(teacher_out, student_out, float(schedules.teacher_temp[step]))
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss is {loss.item()}; lower lr or raise teacher momentum")
        for group in self.optimizer.param_groups:
            group["lr"] = float(schedules.lr[step]) * group["lr_scale"]
            group["weight_decay"] = (
                float(schedules.weight_decay[step]) if group["apply_wd"] else 0.0
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.clip_grad:
            torch.nn.utils.clip_grad_norm_(
                [p for p in student.parameters() if p.grad is not None], config.clip_grad
            )
        if step < config.freeze_last_layer_steps:  # DINO: prototypes move only once features do
            for param in student.head.last_layer.parameters():
                param.grad = None
        self.optimizer.step()
        update_teacher(student, teacher, float(schedules.momentum[step]))
        return float(loss.item())


def train(
    config: TrainConfig,
    progress: Progress | None = None,
    cache: ImageCache | None = None,
    val_items: pd.DataFrame | None = None,
    train_items: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Trains (or resumes) a run and exports the teacher as an encoder checkpoint.

    Args:
        config: The recipe.
        progress: Reports the stages that prepare the run (image cache, banks), stage
            ``training (<method>)`` in ``steps`` after each step, then ``evaluating``. The
            loss of each epoch goes to ``log.jsonl``.
        cache: Training photos; default: the training designs of ``config.images_dir``,
            cached under ``config.cache_dir``.
        val_items: Validation items for evaluation; default: the held-out designs.
        train_items: Item table of the training photos under ``config.images_dir`` (for a
            photo bank and whitening); default: the training designs.

    Returns:
        Summary: ``encoder`` (folder), ``metrics`` (validation figures, or empty), ``epochs``,
        ``seconds``.
    """
    torch.manual_seed(config.seed)
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    device = resolve_device(config.device)
    out = config.output_path
    out.mkdir(parents=True, exist_ok=True)
    photos = prepare_photos(config, cache, train_items, val_items, progress)

    student = create_model(config).to(device)
    state_dir = out / "state"
    bank = _build_bank(config, student, photos, device, progress)
    if config.init_prototypes and not has_state(state_dir):
        if bank is not None and config.bank_source == "photos":
            init_prototypes_from_maps(student, bank.globals, config, device)
        else:
            init_prototypes(student, photos.cache, config, device)
    run = Distillation.create(student, config, device)

    if bank is not None:
        plain = 2 if config.bank_source == "photos" else 0
        dataset = BankDataset(bank, config.num_local, plain, partner_share=config.neighbour_views)
    else:
        dataset = ViewDataset(photos.cache, create_views(config), seed=config.seed)
    steps_per_epoch = len(dataset) // config.batch_size
    if config.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, config.max_steps_per_epoch)
    if steps_per_epoch < 1:
        raise ValueError(f"{len(dataset)} photos give no full batch of {config.batch_size}")
    total_steps = steps_per_epoch * config.epochs
    schedules = StepSchedules.of(config, total_steps)

    position = load_state(state_dir, run.modules, run.optimizer) or {
        "epoch": 0,
        "step_in_epoch": 0,
        "global_step": 0,
        "seconds": 0.0,
        "losses": [],
    }
    (out / "config.json").write_text(json.dumps(config.to_dict(), indent=1), encoding="utf-8")

    stage = f"training ({config.method})"
    metrics: dict[str, Any] = {}
    whitening = None
    run.student.train()
    run.teacher.train()
    while position["epoch"] < config.epochs:
        epoch = position["epoch"]
        started = time.perf_counter()
        if config.neighbour_views:
            features = photo_features(run.teacher, bank, device)
            dataset.partners = mutual_partners(features, config.neighbour_quantile)
        for views in _epoch_batches(dataset, config, epoch, steps_per_epoch, position):
            loss = run.step(views, position["global_step"], schedules)
            position["losses"].append(loss)
            position["global_step"] += 1
            position["step_in_epoch"] += 1
            if progress:
                progress(stage, position["global_step"], total_steps, "steps")
            if (
                config.checkpoint_every_steps
                and position["step_in_epoch"] % config.checkpoint_every_steps == 0
            ):
                position["seconds"] += time.perf_counter() - started
                started = time.perf_counter()
                save_state(state_dir, run.modules, run.optimizer, position)
        position["seconds"] += time.perf_counter() - started
        last = position["global_step"] - 1
        record = {
            "epoch": epoch + 1,
            "step": position["global_step"],
            "loss": float(np.mean(position["losses"])) if position["losses"] else None,
            "lr": float(schedules.lr[last]),
            "momentum": float(schedules.momentum[last]),
            "teacher_temp": float(schedules.teacher_temp[last]),
            "seconds": round(position["seconds"], 1),
        }
        if config.neighbour_views:
            record["neighbour_pairs"] = int((dataset.partners >= 0).sum()) // 2
        position.update(epoch=epoch + 1, step_in_epoch=0, losses=[])
        is_last = position["epoch"] == config.epochs
        if config.whiten_dim and is_last:
            whitening = fit_teacher_whitening(
                run.teacher, config, photos.train_items, bank, device, progress
            )
        if (config.eval_every and position["epoch"] % config.eval_every == 0) or (
            is_last and config.eval_at_end
        ):
            head = whitening if is_last else None
            metrics = evaluate_teacher(run.teacher, config, photos.val_items, head, progress)
            record["val"] = metrics
        with open(out / "log.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        save_state(state_dir, run.modules, run.optimizer, position)

    if config.whiten_dim and whitening is None:  # resumed after the last epoch
        whitening = fit_teacher_whitening(
            run.teacher, config, photos.train_items, bank, device, progress
        )
    folder = export_teacher(
        run.teacher,
        config,
        out / "encoder",
        training=training_record(config, position, len(dataset), steps_per_epoch, device),
        metrics=metrics,
        head=whitening,
        with_head=config.export_head,
    )
    metrics = {**metrics, **calibrate_export(folder, config, photos.val_items, progress)}
    return {
        "encoder": str(folder),
        "metrics": metrics,
        "epochs": config.epochs,
        "seconds": round(position["seconds"], 1),
    }


def _build_bank(
    config: TrainConfig,
    student: MultiCropModel,
    photos: RunPhotos,
    device: torch.device,
    progress: Progress | None,
) -> ViewBank | None:
    """The run's photo bank or view bank, or None when it draws fresh views."""
    if config.bank_source == "photos":
        return build_run_photo_bank(config, student, photos.train_items, device, progress=progress)
    if config.view_bank_rounds:
        return build_run_bank(config, student, photos.cache, device, progress)
    return None


def _epoch_batches(dataset, config: TrainConfig, epoch: int, steps: int, position: dict):
    """The batches of views left in ``epoch``: its shuffled order, from the saved position."""
    dataset.epoch = epoch
    order = np.random.default_rng(config.seed + epoch).permutation(len(dataset))
    order = order[: steps * config.batch_size][position["step_in_epoch"] * config.batch_size :]
    if config.stored_maps:
        return dataset.batches(order, config.batch_size, config.seed + epoch)
    return DataLoader(
        dataset,
        batch_size=config.batch_size,
        sampler=order.tolist(),
        num_workers=config.num_workers,
        drop_last=True,
        persistent_workers=False,
    )
