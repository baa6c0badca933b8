"""Data of the colour-variant CPU recipes: the split, and frozen features of photos and views.

Every feature here comes from the frozen ``imagenet-lite0`` backbone and is computed once:

- whole photos at the encoder's own preprocessing (:func:`whole_photo_features`), read from a
  catalog built with ``imagenet-lite0`` when one exists (identical vectors), else embedded and
  cached in ``<feature_dir>/lite0_<input_size>_crop.npz``;
- recoloured copies of the validation photos that the colour-invariance score uses
  (:func:`recolored_features`), the same sample :func:`skill.evaluation.protocol.color_invariance` draws;
- views of a subsample of training photos for the self-supervised methods
  (:func:`view_features`).

Example:
    >>> train_items, val_items = read_variant_split(config)
    >>> features = whole_photo_features(config, train_items["image_path"].tolist())
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skill.encoders.cache import EmbeddingCache, fingerprint
from skill.encoders.embedding import embed_images
from skill.encoders.encoder import Encoder, create_backbone
from skill.encoders.registry import create_encoder
from skill.evaluation.splits import read_run_split
from skill.images.decode import load_image
from skill.images.preprocess import Preprocess
from skill.images.recolor import RECOLORINGS, recolor
from skill.progress import Progress, offset
from skill.train.data import build_image_cache
from skill.train.losses.adaptive_triplet import weak_class_ids
from skill.train.variants.config import VariantConfig
from skill.train.variants.feature_cache import (
    FeatureCache,
    cache_view_features,
    read_catalog_features,
    view_cache_path,
)
from skill.train.variants.methods import VARIANT_METHODS

WHOLE_CACHE = "lite0_{size}_crop.npz"
RECOLOR_CACHE = "lite0_{size}_crop_recolored_val{sample}_seed{seed}_split{split}.npz"
TEXT_COLUMNS = ("prod_name", "product_type_name", "detail_desc")


def read_variant_split(config: VariantConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(train_items, val_items)`` of the shared design-disjoint split, with the text columns.

    Item tables follow :mod:`skill.catalog.source`; ``prod_name``, ``product_type_name`` and
    ``detail_desc`` are added from the CSV (empty strings where absent).
    """
    train, val = read_run_split(
        config.images_path,
        config.csv_name,
        config.val_fraction,
        config.split_seed,
        config.tune_fraction,
        config.evaluate_on,
    )
    raw = pd.read_csv(config.images_path / config.csv_name, dtype=str, keep_default_na=False)
    if "image_path" in raw:
        text = raw.drop_duplicates("image_path").set_index("image_path")
        for frame in (train, val):
            for column in TEXT_COLUMNS:
                values = text[column] if column in text else pd.Series("", index=text.index)
                frame[column] = frame["image_path"].map(values).fillna("").astype(str).values
    if config.val_photos is not None and config.val_photos < len(val):
        tail = val.iloc[-config.val_photos :]
        counts = val["design_id"].value_counts()
        whole = tail["design_id"].map(tail["design_id"].value_counts()) == tail["design_id"].map(
            counts
        )
        val = tail[whole.to_numpy()].reset_index(drop=True)
    return train, val


def whole_photo_preprocess(config: VariantConfig) -> Preprocess:
    """The CPU recipe's whole-photo preprocessing: timm's crop at ``config.input_size``."""
    return Preprocess(input_size=config.input_size, crop_pct=0.875)


def lite0_encoder(config: VariantConfig) -> Encoder:
    """The frozen ``imagenet-lite0`` encoder under the CPU recipe's preprocessing."""
    encoder = create_encoder("imagenet-lite0")
    encoder.preprocess = whole_photo_preprocess(config)
    return encoder


def select_train_photos(train_items: pd.DataFrame, config: VariantConfig) -> pd.DataFrame:
    """The training photos of the supervised CPU recipes: all, or whole title groups.

    Groups are photos sharing a normalised title and product type (what ATL's weak classes
    are), so the subsample keeps colour variants together without reading design ids; groups
    are drawn at random (seed ``config.seed``) until ``config.train_photos`` is reached.
    """
    if config.train_photos is None or config.train_photos >= len(train_items):
        return train_items
    groups = weak_class_ids(train_items["prod_name"], train_items["product_type_name"])
    chosen, total = set(), 0
    sizes = np.bincount(groups)
    for group in np.random.default_rng(config.seed).permutation(len(sizes)):
        if total >= config.train_photos:
            break
        chosen.add(int(group))
        total += int(sizes[group])
    return train_items[np.isin(groups, list(chosen))].reset_index(drop=True)


def whole_photo_features(
    config: VariantConfig,
    paths: list[str],
    progress: Progress | None = None,
    chunk_size: int = 256,
    stage: str = "features",
) -> np.ndarray:
    """Unit-norm pooled ``imagenet-lite0`` features of whole photos. Shape (len(paths), 1280).

    Vectors come, in this order, from the finished catalog in ``config.catalog_dir``, from the
    embedding cache a catalog build is still filling (same encoder digest, keyed by file
    fingerprint) -- both only when ``config.input_size`` is 224 -- and from
    ``<feature_dir>/lite0_<input_size>_crop.npz``. Photos found in none are
    embedded last-to-first in chunks of ``chunk_size``, the cache saved after each chunk, so a
    concurrent catalog build (which goes first-to-last) and this function share the work and an
    interrupted run loses one chunk at most.

    Args:
        config: Feature, catalog and image folders; input size.
        paths: Image paths relative to ``config.images_dir``.
        progress: Reports ``stage`` over the photos embedded here.
        chunk_size: Photos embedded between two saves of the cache.
        stage: The stage name reported, e.g. ``val features``.
    """
    known = _known_features(config)
    path = config.feature_path / WHOLE_CACHE.format(size=config.input_size)
    own = FeatureCache.load(path) if path.is_file() else None
    keys, vectors = (list(own.keys), [own.vectors]) if own else ([], [])
    missing = [p for p in dict.fromkeys(paths) if p not in known and (own is None or p not in own)]
    if missing:
        encoder = lite0_encoder(config)
        todo = missing[::-1]
        done = 0
        while todo:
            chunk, todo = todo[:chunk_size], todo[chunk_size:]
            known = _known_features(config)
            chunk = [p for p in chunk if p not in known]
            if chunk:
                result = embed_images(encoder, [config.images_path / p for p in chunk])
                if result.failures:
                    raise ValueError(f"photos could not be read: {result.failures[:3]}")
                keys += chunk
                vectors.append(result.embeddings)
                FeatureCache(keys, np.concatenate(vectors)).save(path)
            done += chunk_size
            if progress:
                progress(stage, min(done, len(missing)), len(missing))
        known = _known_features(config)
    own = FeatureCache(keys, np.concatenate(vectors)) if keys else None
    return np.stack([known[p] if p in known else own.get([p])[0] for p in paths])


def _known_features(config: VariantConfig) -> dict[str, np.ndarray]:
    """``imagenet-lite0`` vectors a catalog (finished or being built) already holds, by path."""
    catalog = config.catalog_path
    if not catalog.is_dir() or config.input_size != 224:
        return {}
    try:
        cache = read_catalog_features(catalog, "imagenet-lite0")
        return dict(zip(cache.keys, cache.vectors, strict=True))
    except Exception:  # noqa: BLE001 - no finished catalog (yet): fall back to its cache
        pass
    found: dict[str, np.ndarray] = {}
    for folder in sorted((catalog / "cache").glob("imagenet-lite0-*")):
        stored = EmbeddingCache(folder, 1280)
        for key, vector in stored.items():
            relative = key.split("|")[0]
            file = config.images_path / relative
            if file.is_file() and fingerprint(file, relative) == key:
                found[relative] = vector
    return found


def invariance_sample(count: int, sample: int, seed: int = 0) -> np.ndarray:
    """Gallery rows :func:`skill.evaluation.protocol.color_invariance` recolours (same draw)."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(count, size=min(sample, count), replace=False))


def recolored_features(
    config: VariantConfig,
    val_paths: list[str],
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Features of the recoloured copies of the invariance sample of the validation photos.

    Args:
        config: Feature and image folders, input size, invariance sample, split seed.
        val_paths: Validation image paths relative to ``config.images_dir``.
        seed: Seed of the sample.
        progress: Reports stage ``recoloured`` while the copies are embedded.

    Returns:
        ``(features, originals)``: shape (m, 1280) and (m,), the validation row of each copy's
        original, in :data:`skill.images.recolor.RECOLORINGS` order per photo.
    """
    sample = config.invariance_sample
    name = RECOLOR_CACHE.format(
        size=config.input_size, sample=sample, seed=seed, split=config.split_seed
    )
    path = config.feature_path / name
    chosen = invariance_sample(len(val_paths), sample, seed)
    keys = [f"{val_paths[i]}#{r}" for i in chosen for r in RECOLORINGS]
    originals = np.repeat(chosen, len(RECOLORINGS))
    if path.is_file():
        cache = FeatureCache.load(path)
        if all(k in cache for k in keys):
            return cache.get(keys), originals
    copies = []
    for i in chosen:
        image = load_image(config.images_path / val_paths[i])
        copies += [recolor(image, r) for r in RECOLORINGS]
    report = offset(progress, "recoloured", 0, len(copies))
    result = embed_images(lite0_encoder(config), copies, progress=report)
    FeatureCache(keys, result.embeddings).save(path)
    return result.embeddings, originals


def ssl_rows(count: int, config: VariantConfig) -> np.ndarray:
    """Which cached training photos the self-supervised CPU recipe uses."""
    rng = np.random.default_rng(config.seed)
    return np.sort(rng.choice(count, size=min(config.ssl_images, count), replace=False))


def view_features(
    config: VariantConfig, train_items: pd.DataFrame, progress: Progress | None = None
) -> np.ndarray:
    """Frozen features of ``config.views`` views of ``config.ssl_images`` training photos.

    Returns:
        Shape (photos, views, 1280), unit norm; cached under ``config.feature_dir``.
    """
    image_cache = build_image_cache(
        train_items,
        config.images_path,
        config.image_cache_path,
        config.image_cache_size,
        progress,
    )
    rows = ssl_rows(len(image_cache), config)
    path = view_cache_path(
        config.feature_path, config.method, config.view_size, len(rows), config.seed
    )
    paths = train_items["image_path"].tolist()
    keys = [f"{paths[r]}#{v}" for r in rows for v in range(config.views)]
    if path.is_file():
        cache = FeatureCache.load(path)
        if all(k in cache for k in keys):
            return cache.get(keys).reshape(len(rows), config.views, -1)
    views = VARIANT_METHODS[config.method].views(config)
    backbone = create_backbone(config.architecture, pretrained="pypi")
    features = cache_view_features(
        backbone, image_cache, rows.tolist(), views, seed=config.seed, progress=progress
    )
    FeatureCache(keys, features.reshape(len(keys), -1)).save(path)
    return features
