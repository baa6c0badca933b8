"""The SkiLL / DINO training loop: multi-crop self-distillation with resumable state.

One step: draw the views of a batch of photos; run the frozen trunk once on every view; the
student's tail and head embed all views, the teacher's embed the global ones; DINO's loss;
AdamW step on the student with scheduled learning rate and weight decay; EMA update of the
teacher with scheduled momentum. No labels are read except to hold out whole designs.

A run folder holds ``state/`` (resumable: student, teacher, optimizer, loss centre, schedule
position; safetensors + JSON), ``log.jsonl`` (one line per epoch: loss, lr, momentum, teacher
temperature, seconds, and validation figures when evaluated) and ``encoder/`` (the teacher as
an encoder checkpoint). Running again with the same output folder resumes where it stopped.

Example:
    >>> config = dataclasses.replace(PRESETS["cpu"], output_dir="runs/skill")
    >>> summary = train(config, progress=lambda done, total, loss: None)
    >>> summary["metrics"]["hit@1"]
"""

from __future__ import annotations

import copy
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from skill.encoders.heads import ProjectionHead
from skill.encoders.registry import create_backbone
from skill.encoders.whitening import fit_whitening, whitening_head
from skill.images.preprocess import Preprocess
from skill.train.data import ImageCache, ViewDataset, build_image_cache, read_split
from skill.train.dino.config import TrainConfig
from skill.train.dino.dino_head import DINOHead
from skill.train.dino.ema import update_teacher
from skill.train.dino.schedules import cosine_schedule, teacher_temp_schedule
from skill.train.export import encoder_from_model, export_encoder
from skill.train.losses.dino_loss import DINOLoss
from skill.train.multicrop import MultiCropModel
from skill.train.state import has_state, load_state, save_state
from skill.train.view_bank import (
    ViewBank,
    build_photo_bank,
    build_view_bank,
    onnx_trunk,
    photo_bank_folder,
)
from skill.train.views import DINOViews, GrayscaleViews, SkillViews, normalize_image

StepProgress = Callable[[int, int, float], None]
"""``progress(step, total_steps, loss)`` after each optimizer step."""


def create_views(config: TrainConfig):
    """The augmentation space of ``config.method`` (grey last when ``input_grayscale``)."""
    views = _method_views(config)
    return GrayscaleViews(views) if config.input_grayscale else views


def _method_views(config: TrainConfig) -> SkillViews | DINOViews:
    if config.method == "dino":
        return DINOViews(config.global_size, config.local_size, num_local=config.num_local)
    return SkillViews(
        global_size=config.global_size,
        local_size=config.local_size,
        num_local=config.num_local,
        global_scale=config.global_scale,
        rotation_degrees=config.rotation_degrees,
        blur_prob=config.blur_prob,
        hue_prob=config.hue_prob,
        channel_permute_prob=config.channel_permute_prob,
        grayscale_prob=config.grayscale_prob,
        saturation_range=config.saturation_range,
        brightness_range=config.brightness_range,
        invert_prob=config.invert_prob,
        local_scale=config.local_scale,
    )


def create_model(config: TrainConfig) -> MultiCropModel:
    """Student network: the backbone with its ImageNet weights and a fresh DINO head."""
    backbone = create_backbone(
        config.architecture, pretrained=config.pretrained, **backbone_kwargs(config)
    )
    head = DINOHead(backbone.num_features, config.out_dim, config.hidden_dim, config.bottleneck_dim)
    return MultiCropModel(backbone, head, config.frozen_stages, config.freeze_batchnorm)


def backbone_kwargs(config: TrainConfig) -> dict[str, Any]:
    """``timm.create_model`` arguments of the backbone (stored in the exported config)."""
    return {} if config.global_pool == "avg" else {"global_pool": config.global_pool}


def resolve_device(name: str) -> torch.device:
    """``auto`` picks cuda when available."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def eval_preprocess(config: TrainConfig) -> Preprocess:
    """The preprocessing the exported encoder ships with."""
    return Preprocess(
        input_size=config.eval_input_size,
        crop_pct=1.0 if config.eval_resize_mode == "pad" else 0.875,
        resize_mode=config.eval_resize_mode,
        grayscale=config.input_grayscale,
    )


def _param_groups(model: MultiCropModel, config: TrainConfig) -> list[dict[str, Any]]:
    groups: dict[tuple[bool, bool], list] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        is_backbone = name.startswith("backbone.")
        no_decay = param.ndim <= 1 or name.endswith(".bias")
        groups.setdefault((is_backbone, no_decay), []).append(param)
    return [
        {
            "params": params,
            "lr_scale": config.backbone_lr_scale if is_backbone else 1.0,
            "apply_wd": not no_decay,
        }
        for (is_backbone, no_decay), params in sorted(groups.items())
    ]


def train(
    config: TrainConfig,
    progress: StepProgress | None = None,
    cache: ImageCache | None = None,
    val_items: pd.DataFrame | None = None,
    train_items: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Trains (or resumes) a run and exports the teacher as an encoder checkpoint.

    Args:
        config: The recipe.
        progress: Called as ``progress(step, total_steps, loss)`` after each step.
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
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    photos = config.bank_source == "photos"
    needs_items = (photos or config.whiten_dim) and train_items is None
    needs_val = val_items is None and (config.eval_every or config.eval_at_end)
    if (cache is None and not photos) or needs_items or needs_val:
        train_items, val_items = _split_items(config, train_items, val_items)
    if cache is None and not photos:
        cache = build_image_cache(
            train_items, config.images_dir, config.cache_dir, config.cache_size
        )

    student = create_model(config).to(device)
    state_dir = out / "state"
    bank = None
    if photos:
        bank = build_run_photo_bank(config, student, train_items, device)
    elif config.view_bank_rounds:
        bank = build_run_bank(config, student, cache, device)
    if config.init_prototypes and not has_state(state_dir):
        if photos:
            init_prototypes_from_maps(student, bank.globals, config, device)
        else:
            init_prototypes(student, cache, config, device)
    teacher = copy.deepcopy(student).requires_grad_(False)
    loss_fn = DINOLoss(config.out_dim, 2, config.student_temp, config.center_momentum).to(device)
    optimizer = torch.optim.AdamW(_param_groups(student, config), lr=config.lr)

    if bank is not None:
        dataset = BankDataset(bank, config.num_local, plain=2 if photos else 0)
    else:
        dataset = ViewDataset(cache, create_views(config), seed=config.seed)
    steps_per_epoch = len(dataset) // config.batch_size
    if config.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, config.max_steps_per_epoch)
    if steps_per_epoch < 1:
        raise ValueError(f"{len(dataset)} photos give no full batch of {config.batch_size}")
    total_steps = steps_per_epoch * config.epochs
    lr_at = cosine_schedule(
        config.lr, config.min_lr, total_steps, min(config.warmup_steps, total_steps)
    )
    wd_at = cosine_schedule(config.weight_decay, config.weight_decay_end, total_steps)
    momentum_at = cosine_schedule(config.momentum_teacher, 1.0, total_steps)
    temp_at = teacher_temp_schedule(
        config.warmup_teacher_temp,
        config.teacher_temp,
        total_steps,
        config.warmup_teacher_temp_steps,
    )

    position = {"epoch": 0, "step_in_epoch": 0, "global_step": 0, "seconds": 0.0, "losses": []}
    if has_state(state_dir):
        position = load_state(state_dir, student, teacher, loss_fn, optimizer)
    (out / "config.json").write_text(json.dumps(config.to_dict(), indent=1), encoding="utf-8")

    metrics: dict[str, Any] = {}
    whitening = None
    student.train()
    teacher.train()
    while position["epoch"] < config.epochs:
        epoch = position["epoch"]
        dataset.epoch = epoch
        order = np.random.default_rng(config.seed + epoch).permutation(len(dataset))
        order = order[: steps_per_epoch * config.batch_size][
            position["step_in_epoch"] * config.batch_size :
        ]
        if config.stored_maps:
            loader = dataset.batches(order, config.batch_size, config.seed + epoch)
        else:
            loader = DataLoader(
                dataset,
                batch_size=config.batch_size,
                sampler=order.tolist(),
                num_workers=config.num_workers,
                drop_last=True,
                persistent_workers=False,
            )
        started = time.perf_counter()
        for views in loader:
            step = position["global_step"]
            loss = _step(
                views,
                student,
                teacher,
                loss_fn,
                optimizer,
                config,
                device,
                step,
                lr_at[step],
                wd_at[step],
                momentum_at[step],
                temp_at[step],
            )
            position["losses"].append(loss)
            position["global_step"] += 1
            position["step_in_epoch"] += 1
            if progress:
                progress(position["global_step"], total_steps, loss)
            if (
                config.checkpoint_every_steps
                and position["step_in_epoch"] % config.checkpoint_every_steps == 0
            ):
                position["seconds"] += time.perf_counter() - started
                started = time.perf_counter()
                save_state(state_dir, student, teacher, loss_fn, optimizer, position)
        position["seconds"] += time.perf_counter() - started
        last = position["global_step"] - 1
        record = {
            "epoch": epoch + 1,
            "step": position["global_step"],
            "loss": float(np.mean(position["losses"])) if position["losses"] else None,
            "lr": float(lr_at[last]),
            "momentum": float(momentum_at[last]),
            "teacher_temp": float(temp_at[last]),
            "seconds": round(position["seconds"], 1),
        }
        position.update(epoch=epoch + 1, step_in_epoch=0, losses=[])
        is_last = position["epoch"] == config.epochs
        if config.whiten_dim and is_last:
            whitening = fit_teacher_whitening(teacher, config, train_items, bank, device)
        if (config.eval_every and position["epoch"] % config.eval_every == 0) or (
            is_last and config.eval_at_end
        ):
            head = whitening if is_last else None
            metrics = evaluate_teacher(teacher, config, val_items, head)
            record["val"] = metrics
        with open(out / "log.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        save_state(state_dir, student, teacher, loss_fn, optimizer, position)

    if config.whiten_dim and whitening is None:  # resumed after the last epoch
        whitening = fit_teacher_whitening(teacher, config, train_items, bank, device)
    folder = export_encoder(
        teacher.cpu(),
        out / "encoder",
        eval_preprocess(config),
        config.architecture,
        name=export_name(config),
        display_name=config.display_name if config.method == "skill" else "Design (plain DINO)",
        description=_description(config),
        with_head=config.export_head,
        head=whitening,
        training=training_record(config, position, len(dataset), steps_per_epoch, device),
        metrics=metrics,
        backbone_kwargs=backbone_kwargs(config),
    )
    return {
        "encoder": str(folder),
        "metrics": metrics,
        "epochs": config.epochs,
        "seconds": round(position["seconds"], 1),
    }


def export_untrained(
    config: TrainConfig,
    val_items: pd.DataFrame | None = None,
    train_items: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Exports the recipe's starting point without training: the ImageNet backbone with the
    recipe's pooling, input and whitening (fitted on the same training photos), evaluated like
    a trained run. The row that shows what training itself adds.

    Returns:
        Summary as :func:`train`'s (``epochs`` 0).
    """
    device = resolve_device(config.device)
    if train_items is None or val_items is None:
        train_items, val_items = _split_items(config, train_items, val_items)
    model = create_model(config).to(device)
    bank = None
    if config.bank_source == "photos":
        bank = build_run_photo_bank(config, model, train_items, device)
    whitening = (
        fit_teacher_whitening(model, config, train_items, bank, device)
        if config.whiten_dim
        else None
    )
    metrics = evaluate_teacher(model, config, val_items, whitening) if config.eval_at_end else {}
    position = {"epoch": 0, "global_step": 0, "seconds": 0.0}
    folder = export_encoder(
        model.cpu(),
        Path(config.output_dir) / "encoder",
        eval_preprocess(config),
        config.architecture,
        name=f"{config.name}-untrained",
        display_name="Design start point (no training)",
        description="The ImageNet backbone a SkiLL run starts from, with the recipe's input, "
        "pooling and whitening; no training. What the recipe's training adds is measured "
        "against it.",
        head=whitening,
        training=training_record(config, position, len(train_items), 0, device),
        metrics=metrics,
        backbone_kwargs=backbone_kwargs(config),
    )
    return {"encoder": str(folder), "metrics": metrics, "epochs": 0, "seconds": 0.0}


def _split_items(
    config: TrainConfig, train_items: pd.DataFrame | None, val_items: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The given item tables, the run's design split filling in whichever is None."""
    default_train, default_val = read_split(
        config.images_dir, config.csv_name, config.val_fraction, config.split_seed
    )
    return (
        default_train if train_items is None else train_items,
        default_val if val_items is None else val_items,
    )


class BankDataset:
    """Batches of stored trunk maps (:class:`skill.train.view_bank.ViewBank`); ``plain`` as in
    :meth:`~skill.train.view_bank.ViewBank.draw`."""

    def __init__(self, bank: ViewBank, num_local: int, plain: int = 0) -> None:
        self.bank = bank
        self.num_local = num_local
        self.plain = plain

    def __len__(self) -> int:
        return len(self.bank)

    def batches(self, order: np.ndarray, batch_size: int, seed: int):
        """Yields view lists like the image loader's, drawn reproducibly from ``seed``."""
        rng = np.random.default_rng(seed)
        for start in range(0, len(order) - batch_size + 1, batch_size):
            photos = np.sort(order[start : start + batch_size])
            yield self.bank.draw(photos, self.num_local, rng, plain=self.plain)


def build_run_bank(
    config: TrainConfig, model: MultiCropModel, cache: ImageCache, device
) -> ViewBank:
    """Builds (or reopens) the view bank of ``config``'s views under ``config.cache_dir``.

    The bank depends only on the views, the photos and the frozen trunk, so runs that share
    them (SkiLL and the supervised ``bank`` recipe) share one bank.
    """
    from tqdm import tqdm

    views = create_views(config)
    settings = {
        "method": config.method,
        "view_space": _describe(views),
        "architecture": config.architecture,
        "pretrained": config.pretrained,
        "frozen_stages": config.frozen_stages,
    }
    grey = "-gray" if config.input_grayscale else ""
    folder = Path(config.cache_dir) / f"bank-{config.method}{grey}-r{config.view_bank_rounds}"
    trunk = _bank_trunk(config, model, device)
    bar = tqdm(total=len(cache) * config.view_bank_rounds, desc="view bank", unit="photo")

    def progress(done: int, _total: int) -> None:
        bar.update(done - bar.n)

    try:
        return build_view_bank(
            cache,
            views,
            trunk,
            config.view_bank_rounds,
            folder,
            settings=settings,
            seed=config.seed,
            progress=progress,
        )
    finally:
        bar.close()


def _bank_trunk(config: TrainConfig, model: MultiCropModel, device):
    """The frozen trunk as banks run it: ONNX Runtime on a CPU, the model on a GPU."""
    if device.type == "cpu":
        return onnx_trunk(model.trunk_modules(), Path(config.cache_dir) / "onnx")

    def trunk(images: torch.Tensor) -> torch.Tensor:
        return model.run_trunk(images.to(device)).cpu()

    return trunk


def build_run_photo_bank(
    config: TrainConfig,
    model: MultiCropModel,
    train_items: pd.DataFrame,
    device,
    recolorings: int | None = None,
) -> ViewBank:
    """Builds (or reopens) the photo bank of ``config`` under ``config.cache_dir``.

    ``recolorings`` (default ``config.photo_recolorings``) copies of each photo are recoloured
    by the method's colour space; 0 stores only the photo and its mirror.
    """
    from tqdm import tqdm

    recolorings = config.photo_recolorings if recolorings is None else recolorings
    space = _method_views(config)
    settings = {
        "architecture": config.architecture,
        "pretrained": config.pretrained,
        "frozen_stages": config.frozen_stages,
    }
    if recolorings:
        settings["colour_space"] = _describe(space)
    bar = tqdm(total=len(train_items), desc="photo bank", unit="photo")
    try:
        return build_photo_bank(
            train_items,
            config.images_dir,
            eval_preprocess(config),
            _bank_trunk(config, model, device),
            photo_bank_folder(
                config.cache_dir,
                config.frozen_stages,
                config.input_grayscale,
                config.method,
                recolorings,
                config.seed,
            ),
            settings=settings,
            progress=lambda done, _total: bar.update(done - bar.n),
            recolor=space.recolor_view if recolorings else None,
            recolorings=recolorings,
            seed=config.seed,
        )
    finally:
        bar.close()


@torch.no_grad()
def fit_teacher_whitening(
    teacher: MultiCropModel,
    config: TrainConfig,
    train_items: pd.DataFrame,
    bank: ViewBank | None,
    device,
) -> ProjectionHead:
    """PCA whitening of the teacher's features of the training photos, as a linear head.

    The photos are taken exactly as the exported encoder sees them: the plain photo views of
    the run's photo bank, or of a plain photo bank built for the purpose.
    """
    if bank is None or config.bank_source != "photos":
        bank = build_run_photo_bank(config, teacher, train_items, device, recolorings=0)
    was_training = teacher.training
    teacher.eval()
    features = []
    for start in range(0, len(bank), 256):
        maps = torch.from_numpy(np.asarray(bank.globals[start : start + 256, 0], np.float32))
        features.append(teacher.run_tail(maps.to(device)).cpu())
    teacher.train(was_training)
    features = torch.cat(features).double().numpy()
    return whitening_head(fit_whitening(features, min(config.whiten_dim, features.shape[1])))


@torch.no_grad()
def init_prototypes_from_maps(
    model: MultiCropModel, maps: np.ndarray, config: TrainConfig, device: torch.device
) -> None:
    """:func:`init_prototypes` from stored trunk maps: the head embeddings of ``out_dim``
    random training photos' plain view (``maps[:, 0]``)."""
    rng = np.random.default_rng(config.seed)
    chosen = np.sort(rng.choice(len(maps), size=config.out_dim, replace=len(maps) < config.out_dim))
    _seed_prototypes(
        model,
        (
            torch.from_numpy(np.asarray(maps[chosen[s : s + 256], 0], np.float32)).to(device)
            for s in range(0, len(chosen), 256)
        ),
    )


@torch.no_grad()
def _seed_prototypes(model: MultiCropModel, trunk_batches) -> None:
    """Sets the prototype layer to the unit head embeddings of the photos whose trunk maps
    ``trunk_batches`` yields (drawn lazily, with the model in eval mode)."""
    was_training = model.training
    model.eval()
    directions = [
        torch.nn.functional.normalize(model.head.layers(model.run_tail(maps)), dim=-1)
        for maps in trunk_batches
    ]
    model.head.last_layer.parametrizations.weight.original1.copy_(torch.cat(directions))
    model.train(was_training)


def _photo(cache: ImageCache, index: int, config: TrainConfig):
    """A cached photo at the global view size, grey when the encoder is luminance-only."""
    image = cache.image(index).resize((config.global_size, config.global_size))
    return image.convert("L").convert("RGB") if config.input_grayscale else image


def _describe(views) -> dict[str, Any]:
    """The settings of a view space, as JSON-able values (for the bank's ``bank.json``)."""
    if isinstance(views, GrayscaleViews):
        return {"grayscale": True, **_describe(views.views)}
    return {k: v for k, v in vars(views).items() if not k.startswith("_")}


@torch.no_grad()
def init_prototypes(
    model: MultiCropModel, cache: ImageCache, config: TrainConfig, device: torch.device
) -> None:
    """Sets the prototypes to the head's embeddings of ``out_dim`` random training photos.

    A randomly initialised prototype layer gives the teacher near-uniform targets, and DINO
    needs thousands of steps before they mean anything; far more than a CPU budget allows.
    Seeding each prototype with one photo's (unaugmented) embedding makes the teacher's targets
    "which training photos does this view resemble" from the first step, so the student starts
    learning the invariances of its views at once (a k-means-style initialisation, as in
    SwAV/DeepCluster, without the iterations).
    """
    rng = np.random.default_rng(config.seed)
    chosen = rng.choice(len(cache), size=config.out_dim, replace=len(cache) < config.out_dim)
    size = config.batch_size
    _seed_prototypes(
        model,
        (
            model.run_trunk(
                torch.stack(
                    [normalize_image(_photo(cache, int(i), config)) for i in chosen[s : s + size]]
                ).to(device)
            )
            for s in range(0, len(chosen), size)
        ),
    )


def _step(
    views, student, teacher, loss_fn, optimizer, config, device, step, lr, wd, momentum, temp
) -> float:
    views = [v.to(device, non_blocking=True) for v in views]
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
    loss = loss_fn(teacher_out, student_out, float(temp))
    if not torch.isfinite(loss):
        raise FloatingPointError(f"loss is {loss.item()}; lower lr or raise teacher momentum")
    for group in optimizer.param_groups:
        group["lr"] = float(lr) * group["lr_scale"]
        group["weight_decay"] = float(wd) if group["apply_wd"] else 0.0
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if config.clip_grad:
        torch.nn.utils.clip_grad_norm_(
            [p for p in student.parameters() if p.grad is not None], config.clip_grad
        )
    if step < config.freeze_last_layer_steps:  # DINO: prototypes move only once features do
        for param in student.head.last_layer.parameters():
            param.grad = None
    optimizer.step()
    update_teacher(student, teacher, float(momentum))
    return float(loss.item())


def evaluate_teacher(
    teacher: MultiCropModel,
    config: TrainConfig,
    val_items: pd.DataFrame | None,
    head: ProjectionHead | None = None,
) -> dict[str, Any]:
    """Validation figures of the teacher as it would ship (:func:`skill.evaluation.protocol.evaluate_encoder`),
    through ``head`` (the fitted whitening) when given."""
    from skill.evaluation.protocol import EvalConfig, evaluate_encoder

    if val_items is None or len(val_items) == 0:
        return {}
    encoder = encoder_from_model(
        teacher, eval_preprocess(config), config.architecture, config.export_head, head
    )
    was_training = teacher.training
    figures = evaluate_encoder(
        encoder,
        val_items,
        config.images_dir,
        EvalConfig(invariance_sample=config.invariance_sample),
    )
    teacher.train(was_training)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}


def training_record(
    config: TrainConfig, position: dict, n_images: int, steps_per_epoch: int, device
) -> dict[str, Any]:
    """The ``training`` entry of the exported checkpoint's config."""
    return {
        "method": config.method,
        "config": config.to_dict(),
        "data": {"images_dir": config.images_dir, "csv": config.csv_name, "train_images": n_images},
        "split": {
            "function": "skill.evaluation.splits.split_designs",
            "val_fraction": config.val_fraction,
            "seed": config.split_seed,
        },
        "epochs": position["epoch"],
        "steps": position["global_step"],
        "steps_per_epoch": steps_per_epoch,
        "seconds": round(position["seconds"], 1),
        "machine": f"{platform.machine()} {device.type} x{torch.get_num_threads()} threads "
        f"({os.cpu_count()} cores)",
    }


def export_name(config: TrainConfig) -> str:
    """The exported encoder's name; the ablation never takes the shipped SkiLL name."""
    if config.method == "dino" and config.name == TrainConfig.name:
        return "dino-design"
    return config.name


def _description(config: TrainConfig) -> str:
    if config.bank_source == "photos":
        space = (
            "DINO's colour jitter (the ablation of SkiLL)"
            if config.method == "dino"
            else "SkiLL's colour-variant space (product inverted half the time)"
        )
        whitened = "; PCA-whitened on the training photos" if config.whiten_dim else ""
        return (
            "EfficientNet-Lite0 on grey photos, max-pooled; its last stage and head "
            "convolution trained with DINO self-distillation between each photo and "
            f"recoloured copies from {space}{whitened}. No labels used."
        )
    if config.method == "dino":
        return (
            "EfficientNet-Lite0 fine-tuned with plain DINO self-distillation (standard "
            "augmentations); the ablation of SkiLL."
        )
    return (
        "EfficientNet-Lite0 fine-tuned with SkiLL: DINO self-distillation over a colour-"
        "invariant global space and design-detail local views; no labels used."
    )
