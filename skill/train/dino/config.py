"""Settings of the design encoders (``python -m skill train --method skill|dino``): one frozen
dataclass and named presets.

Presets (:data:`PRESETS`):

- ``cpu``: SkiLL on 2 shared CPU cores, in about half an hour. The stem and first 6 of
  EfficientNet-Lite0's 7 stages are frozen. A photo bank
  (:func:`skill.train.view_bank.build_photo_bank`, ONNX Runtime) stores their maps of every
  training photo exactly as the exported encoder sees it (grey, 224 px centre crop), of its
  mirror, and of two recoloured copies drawn from SkiLL's colour-variant space with the
  product inverted half the time (a black and a white colourway of one design are far apart in
  grey, and are the pairs the untrained features miss most). Each step pairs a plain view of
  a photo with a recoloured one; the last stage, the head convolution and the DINO head (1024
  prototypes seeded with training photos) train 3 epochs of 117 steps of 64 photos; max
  pooling; BatchNorm statistics frozen. After training, PCA whitening of the teacher's
  features of the training photos ships as the encoder's linear head (``whiten_dim``). With
  ``--method dino`` the same recipe recolours with DINO's colour jitter instead: the ablation
  differs only in the colour space. ``--untrained`` exports the starting point with the same
  whitening, so the table shows what training adds.
- ``cpu-views``: multi-crop training on 2 CPU cores: two rounds of SkiLL's multi-crop views
  (2 globals at 128 px, 4 anchored locals at 64 px) stored in a view bank
  (:mod:`skill.train.view_bank`), 4 epochs of 234 steps of 32 photos, no whitening.
  Validation designs, hit@1 / mAP / colour invariance: SkiLL 0.426 / 0.456 / 0.997, plain
  DINO 0.418 / 0.447 / 0.997; with ``input_grayscale`` 0.442 / 0.461 / 1.000 against
  0.436 / 0.452 / 1.000, all below the untrained grey max-pooled features (0.450).
- ``gpu``: full recipe for a machine with a GPU: globals at 224, 6 locals at 96, nothing
  frozen but BatchNorm, 40 epochs, 16384 randomly initialised prototypes as in DINO,
  evaluation every 5 epochs.

Paths are kept as given: a relative ``images_dir`` or ``output_dir`` is read from the project
folder, a relative ``cache_dir`` from the data folder (:mod:`skill.paths`), so a recorded config
holds no path of one machine.

Example:
    >>> config = dataclasses.replace(PRESETS["cpu"], method="dino", output_dir="runs/dino")
    >>> train(config)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from skill.paths import DEFAULT_TRAINING_DATA, data_path
from skill.train.dino.methods import DESIGN_METHODS
from skill.train.settings import RunSettings


@dataclass(frozen=True)
class TrainConfig(RunSettings):
    """One training run.

    Attributes:
        method: ``"skill"`` (global + task-specific local colour-invariant spaces) or
            ``"dino"`` (DINO's standard augmentations, the ablation); a key of
            :data:`skill.train.dino.methods.DESIGN_METHODS`.
        images_dir: Catalog folder with the photos and ``csv_name``; relative to the project
            folder.
        csv_name: Label CSV inside ``images_dir``; labels only choose the design split.
        val_fraction: Share of designs held out (:func:`skill.evaluation.splits.split_designs`).
        tune_fraction: Hold the tune designs (held-out training designs) out of training,
            so that the same-design rule is fitted on them at export
            (:func:`skill.evaluation.splits.read_run_split`). 0 or 0.2.
        evaluate_on: ``"val"`` (the figures an encoder ships with) or ``"tune"`` (for choosing
            settings without looking at the validation designs; needs ``tune_fraction``).
        split_seed: Seed of the split; 0 is the project's shared split.
        output_dir: Run folder: ``state/`` (resumable), ``log.jsonl``, ``encoder/``; relative to
            the project folder.
        cache_dir: Where the pre-resized training photos, banks and the ONNX trunk go;
            relative to the data folder (git-ignored ``data/``).
        cache_size: Side of the cached padded squares. Typical 1.1-1.4x ``global_size``.
        architecture: timm backbone name.
        global_pool: timm pooling of the backbone's last feature map: ``avg`` (ImageNet's) or
            ``max``. Max pooling keeps the strongest response to each design detail wherever
            it is; on the validation designs it lifts the untrained ImageNet features from
            0.373 to 0.422 hit@1 (``benchmarks/probe_features.py``).
        pretrained: ``"pypi"``, ``"hub"`` or ``None`` (see
            :func:`skill.encoders.encoder.create_backbone`).
        epochs: Passes over the training photos. Typical 2-4 on a CPU, 30-100 on a GPU.
        max_steps_per_epoch: Cap on steps per epoch (``None``: the whole epoch); for budgets.
        batch_size: Photos per step. Typical 32-64 (CPU), 128-256 (GPU).
        num_workers: DataLoader worker processes drawing views. Typical 1 (CPU), 8 (GPU).
        num_threads: torch CPU threads (0 leaves torch's default).
        device: ``"auto"`` (cuda when available), ``"cpu"`` or ``"cuda"``.
        global_size: Side of global views. Typical 128 (CPU) to 224 (GPU).
        local_size: Side of local views. Typical 64-96.
        num_local: Local views per photo. Typical 2-8.
        frozen_stages: Backbone stages frozen after the stem. Typical 0 (GPU) to 5 (CPU).
        freeze_batchnorm: Keep BatchNorm statistics fixed (small batches).
        input_grayscale: The encoder sees luminance only: every training view is converted to
            grey as its last step and the exported preprocessing converts photos to grey. The
            colour space then acts through the luminance it changes (a red dress turned green
            is a different grey; inverted, a black top becomes a white one).
        bank_source: ``"views"``: the view bank of the method's multi-crop space
            (``view_bank_rounds``). ``"photos"``: a photo bank
            (:func:`skill.train.view_bank.build_photo_bank`): every training photo under the
            exported encoder's own preprocessing, its mirror, and ``photo_recolorings``
            recoloured copies drawn from the method's colour space (SkiLL's colour-variant
            space; DINO's colour jitter for the ablation); each step pairs a plain view with
            a recoloured one. No crops and no local views: colour variants of a catalog are
            shot in one framing, and on two cores the framing the encoder sees is the only
            one worth the trunk's time. Needs ``frozen_stages`` > 0 and ``num_local`` = 0.
        photo_recolorings: Recoloured copies per photo in a photo bank. Typical 2-4.
        whiten_dim: After training, fit PCA whitening (:mod:`skill.encoders.whitening`) on the
            teacher's features of the training photos and ship it as the encoder's linear
            head with this many dimensions (0: no whitening, pooled backbone features).
            Needs a frozen trunk (the photos' maps come from a photo bank). Typical 3/4 to
            all of the backbone's width.
        pool_stages: Block stages the exported encoder max-pools beside the backbone's own
            features (:mod:`skill.encoders.stage_pooling`), the whitening fitted on their
            concatenation; the training loss still sees the backbone's pooled features alone.
            Empty (off), or e.g. ``3,4,5,6`` for EfficientNet-Lite0's last four stages.
        polarity_views: The exported encoder pools each photo and its product inverted,
            summed (:mod:`skill.encoders.polarity`), the whitening fitted on the sums; the
            training loss still sees the plain photos.
        neighbour_views: Share of the photos with a catalog neighbour (a mutual nearest
            neighbour under the teacher, found again every epoch; no label is read) whose
            second view is the neighbour's (:mod:`skill.train.dino.neighbours`). Needs a photo
            bank. 0 (off) to 0.5.
        neighbour_quantile: Keep the neighbour pairs whose gap to the next photo is at or
            above this quantile of all mutual pairs' gaps. Typical 0-0.7.
        view_bank_rounds: 0 draws fresh views every step. N > 0 runs the frozen trunk once
            over N draws of every photo's views and trains the tail on those stored maps for
            all epochs (:mod:`skill.train.view_bank`): many epochs for the trunk cost of N.
            Needs ``frozen_stages`` > 0. Typical 2-4 (CPU).
        out_dim: DINO head prototypes. Typical 4096-65536.
        hidden_dim: DINO head MLP width. Typical 512-2048.
        bottleneck_dim: DINO head bottleneck. Typical 128-256.
        lr: Peak learning rate of the head (AdamW). Typical 1e-4 to 1e-3.
        backbone_lr_scale: Backbone learning rate as a fraction of ``lr``. Typical 0.1-1;
            lower keeps more of the ImageNet features.
        min_lr: Final learning rate of the cosine schedule.
        warmup_steps: Linear learning-rate warm-up. Typical 5-10% of the run.
        weight_decay: Starting weight decay (cosine to ``weight_decay_end``). Typical 0.04.
        weight_decay_end: Final weight decay. Typical 0.04-0.4.
        momentum_teacher: Starting EMA momentum (cosine to 1). Typical 0.99-0.9995; lower for
            short runs so the teacher moves at all.
        warmup_teacher_temp: First teacher temperature. Typical 0.04.
        teacher_temp: Teacher temperature after the warm-up. Typical 0.04-0.07.
        warmup_teacher_temp_steps: Steps of the teacher temperature warm-up.
        student_temp: Student temperature. Typical 0.1.
        center_momentum: Momentum of the teacher centre. Typical 0.9.
        clip_grad: Largest gradient norm (0: no clipping). Typical 3.
        freeze_last_layer_steps: Steps during which the prototype layer is not updated
            (DINO: one epoch). Typical 1-5% of the run.
        init_prototypes: Seed the prototypes with embeddings of ``out_dim`` training photos
            (see :func:`skill.train.dino.prototypes.init_prototypes`); a random init needs far more
            steps than a CPU run has.
        hue_prob, channel_permute_prob, grayscale_prob, saturation_range, brightness_range,
        invert_prob, rotation_degrees, blur_prob, global_scale, local_scale: SkiLL's view
            spaces (see :class:`skill.train.dino.views.SkillViews`; ignored by ``dino``).
        eval_every: Evaluate on the validation designs every this many epochs (0: only when
            the run ends if ``eval_at_end``). Costs a few minutes on a CPU.
        eval_at_end: Evaluate the exported encoder when the run ends.
        eval_input_size: Input size of the exported encoder's preprocessing.
        eval_resize_mode: ``"pad"`` (whole garment, as trained) or ``"crop"``.
        invariance_sample: Images recoloured for the colour-invariance score.
        checkpoint_every_steps: Also save the resumable state every this many steps (0: only
            at epoch ends).
        export_head: Ship the DINO head's MLP as the encoder's projection (else pooled
            backbone features, as DINO evaluates).
        seed: Seed of weights init, shuffling and views.
        name: Name of the exported encoder.
        display_name: Its name in the app.
    """

    method: str = "skill"
    images_dir: str = DEFAULT_TRAINING_DATA
    csv_name: str = "articles.csv"
    val_fraction: float = 0.2
    tune_fraction: float = 0.0
    evaluate_on: str = "val"
    split_seed: int = 0
    output_dir: str = "runs/skill"
    cache_dir: str = "train-cache"
    cache_size: int = 160
    architecture: str = "tf_efficientnet_lite0"
    global_pool: str = "avg"
    pretrained: str | None = "pypi"
    epochs: int = 2
    max_steps_per_epoch: int | None = None
    batch_size: int = 32
    num_workers: int = 1
    num_threads: int = 2
    device: str = "auto"
    global_size: int = 128
    local_size: int = 64
    num_local: int = 4
    frozen_stages: int = 4
    freeze_batchnorm: bool = True
    view_bank_rounds: int = 0
    bank_source: str = "views"
    photo_recolorings: int = 2
    whiten_dim: int = 0
    pool_stages: tuple[int, ...] = ()
    polarity_views: bool = False
    neighbour_views: float = 0.0
    neighbour_quantile: float = 0.5
    input_grayscale: bool = False
    out_dim: int = 4096
    hidden_dim: int = 1024
    bottleneck_dim: int = 256
    lr: float = 5e-4
    backbone_lr_scale: float = 0.2
    min_lr: float = 1e-6
    warmup_steps: int = 20
    weight_decay: float = 0.04
    weight_decay_end: float = 0.1
    momentum_teacher: float = 0.99
    warmup_teacher_temp: float = 0.04
    teacher_temp: float = 0.05
    warmup_teacher_temp_steps: int = 50
    student_temp: float = 0.1
    center_momentum: float = 0.9
    clip_grad: float = 3.0
    freeze_last_layer_steps: int = 20
    init_prototypes: bool = True
    hue_prob: float = 0.8
    channel_permute_prob: float = 0.4
    grayscale_prob: float = 0.2
    saturation_range: tuple[float, float] = (0.4, 1.6)
    brightness_range: tuple[float, float] = (0.6, 1.4)
    invert_prob: float = 0.1
    rotation_degrees: float = 10.0
    blur_prob: float = 0.3
    global_scale: tuple[float, float] = (0.5, 1.0)
    local_scale: tuple[float, float] = (0.25, 0.5)
    eval_every: int = 0
    eval_at_end: bool = True
    eval_input_size: int = 224
    eval_resize_mode: str = "pad"
    invariance_sample: int = 500
    checkpoint_every_steps: int = 50
    export_head: bool = False
    seed: int = 0
    name: str = "skill-design"
    display_name: str = "Design (SkiLL)"

    def __post_init__(self) -> None:
        if self.method not in DESIGN_METHODS:
            raise ValueError(f"method must be one of {tuple(DESIGN_METHODS)}, got {self.method!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {self.device!r}")
        if self.eval_resize_mode not in ("pad", "crop"):
            raise ValueError(
                f"eval_resize_mode must be 'pad' or 'crop', got {self.eval_resize_mode!r}"
            )
        if self.view_bank_rounds and not self.frozen_stages:
            raise ValueError("view_bank_rounds needs frozen_stages > 0 (a trunk to store)")
        if self.bank_source not in ("views", "photos"):
            raise ValueError(f"bank_source must be 'views' or 'photos', got {self.bank_source!r}")
        photo_ready = self.frozen_stages and not self.num_local and self.photo_recolorings >= 1
        if self.bank_source == "photos" and not photo_ready:
            raise ValueError(
                "bank_source='photos' needs frozen_stages > 0, num_local = 0 and "
                "photo_recolorings >= 1"
            )
        if self.neighbour_views and self.bank_source != "photos":
            raise ValueError("neighbour_views needs bank_source='photos' (photos to pair)")
        if not 0.0 <= self.neighbour_views <= 1.0 or not 0.0 <= self.neighbour_quantile < 1.0:
            raise ValueError("neighbour_views must be in [0, 1] and neighbour_quantile in [0, 1)")
        if self.whiten_dim < 0 or (self.whiten_dim and not self.frozen_stages):
            raise ValueError("whiten_dim needs frozen_stages > 0 (photo maps to fit it on)")
        if self.epochs < 1 or self.batch_size < 2:
            raise ValueError("need epochs >= 1 and batch_size >= 2")

    @property
    def stored_maps(self) -> bool:
        """The tail trains on stored trunk maps (a view or photo bank), not on fresh views."""
        return bool(self.view_bank_rounds) or self.bank_source == "photos"

    @property
    def cache_path(self) -> Path:
        """``cache_dir`` resolved (relative to the data folder)."""
        return data_path(self.cache_dir)


_CPU_VIEWS = TrainConfig(
    epochs=4,
    batch_size=32,
    global_size=128,
    local_size=64,
    num_local=4,
    frozen_stages=6,
    view_bank_rounds=2,
    global_pool="max",
    num_threads=1,
    out_dim=1024,
    backbone_lr_scale=0.5,
    warmup_steps=30,
    warmup_teacher_temp=0.04,
    teacher_temp=0.04,
    warmup_teacher_temp_steps=0,
    freeze_last_layer_steps=30,
    global_scale=(0.3, 0.9),
    eval_input_size=224,
    eval_resize_mode="crop",
    checkpoint_every_steps=50,
)


PRESETS: dict[str, TrainConfig] = {
    "cpu": dataclasses.replace(
        _CPU_VIEWS,
        cache_dir="train-cache-256",
        epochs=3,
        batch_size=64,
        view_bank_rounds=0,
        bank_source="photos",
        photo_recolorings=2,
        num_local=0,
        invert_prob=0.5,
        whiten_dim=1024,
        input_grayscale=True,
        global_scale=TrainConfig.global_scale,  # unused (no crops); the shipped encoder records it
    ),
    "cpu-views": _CPU_VIEWS,
    "gpu": TrainConfig(
        output_dir="runs/skill-gpu",
        cache_dir="train-cache-256",
        cache_size=256,
        epochs=40,
        batch_size=128,
        num_workers=8,
        num_threads=0,
        global_size=224,
        local_size=96,
        num_local=6,
        frozen_stages=0,
        out_dim=16384,
        hidden_dim=2048,
        lr=5e-4,
        backbone_lr_scale=0.5,
        warmup_steps=300,
        momentum_teacher=0.996,
        teacher_temp=0.06,
        warmup_teacher_temp_steps=1500,
        freeze_last_layer_steps=60,
        init_prototypes=False,
        global_pool="max",
        eval_every=5,
        eval_resize_mode="crop",
        checkpoint_every_steps=0,
    ),
}
"""Named recipes; ``dataclasses.replace`` one to change a few settings."""
