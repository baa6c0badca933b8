"""Encoder checkpoints: a folder with ``model.safetensors`` and ``config.json``.

The layout follows timm's ``save_for_hf()``::

    my-encoder/
      model.safetensors   tensors only (backbone.*, head.*); never a pickle
      config.json         architecture, head, embedding size, preprocessing, recipe, metrics

``config.json`` is untrusted input: :func:`validate_config` allows only known keys, each with
its type and range (:data:`REQUIRED_KEYS`, :data:`OPTIONAL_KEYS`, :data:`BACKBONE_KWARGS`,
:data:`HEAD_KEYS`, :data:`PREPROCESS_KEYS`), so no value can name a file or a URL for timm to
read (``checkpoint_path``, ``pretrained_cfg``...), and sizes are bounded. Tensors are read with
safetensors, which cannot execute code, and must be finite. Pickled files (``.pt``, ``.pth``,
``.bin``, ``.ckpt``) are refused with a clear error instead of being unpickled.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
REQUIRED_KEYS = {
    "format_version": int,
    "name": str,
    "architecture": str,
    "feature_dim": int,
    "embedding_dim": int,
    "preprocess": dict,
}
OPTIONAL_KEYS = {
    "display_name": str,
    "description": str,
    "role": str,
    "backbone_kwargs": dict,
    "pool_stages": list,
    "polarity_views": bool,
    "head": (dict, type(None)),
    "training": dict,
    "metrics": dict,
    "same_design": dict,
    "created": str,
}
_PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle")
MAX_CONFIG_BYTES = 1_000_000
MAX_DIM = 8192
"""Largest feature, embedding or hidden size a config may declare."""
MAX_HEAD_PARAMETERS = 50_000_000
"""Largest projection head (weights), 200 MB in float32; a trained head is ~1M."""
MAX_POOL_STAGES = 16
"""Most block stages a config may pool beside the head (:mod:`skill.encoders.stage_pooling`)."""
MAX_TEXT = 10_000
"""Longest display name, description or other text field."""
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
"""An encoder name: it becomes a folder name in catalogs and is looked up by
:func:`skill.encoders.registry.create_encoder`, so no ``/`` or ``timm:`` prefix."""
ARCHITECTURE_PATTERN = re.compile(r"^[a-z0-9_]{1,100}(\.[a-z0-9_]{1,100})?$")
"""A timm model name with an optional pretrained tag; no ``hf-hub:`` or path."""
BACKBONE_KWARGS = {
    "global_pool": ("avg", "max", "avgmax", "catavgmax"),
    "drop_rate": (0.0, 1.0),
    "drop_path_rate": (0.0, 1.0),
}
"""``timm.create_model`` arguments a config may pass: a pooling type from a fixed set, or a
rate in a closed range. Everything else (``checkpoint_path``, ``pretrained_cfg_overlay``,
``num_classes``...) is refused."""
HEAD_KEYS: dict[str, type] = {
    "type": str,
    "in_dim": int,
    "out_dim": int,
    "hidden_dim": int,
    "num_layers": int,
    "normalize_input": bool,
}
PREPROCESS_KEYS: dict[str, type | tuple[type, ...]] = {
    "input_size": int,
    "crop_pct": float,
    "resize_mode": str,
    "mean": (list, tuple),  # a tuple before JSON: Preprocess.to_dict()
    "std": (list, tuple),
    "interpolation": str,
    "grayscale": bool,
}


class CheckpointError(ValueError):
    """A checkpoint folder is missing, malformed or unsafe; the message says which."""


def is_checkpoint_dir(path: str | os.PathLike) -> bool:
    """Says whether ``path`` looks like a checkpoint folder (both files present)."""
    folder = Path(path)
    return (folder / WEIGHTS_FILE).is_file() and (folder / CONFIG_FILE).is_file()


def read_config(folder: str | os.PathLike) -> dict[str, Any]:
    """Reads and validates ``config.json`` of a checkpoint folder.

    Raises:
        CheckpointError: The folder or file is missing, not JSON, or fails validation.
    """
    folder = Path(folder)
    if folder.is_file() and folder.suffix.lower() in _PICKLE_SUFFIXES:
        raise CheckpointError(
            f"{folder.name}: pickled checkpoints are refused (they can run arbitrary code); "
            f"use a folder with {WEIGHTS_FILE} and {CONFIG_FILE}"
        )
    if not folder.is_dir():
        raise CheckpointError(f"checkpoint folder not found: {folder}")
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        pickles = [p.name for p in folder.iterdir() if p.suffix.lower() in _PICKLE_SUFFIXES]
        hint = f" (found pickled {pickles}, which are refused)" if pickles else ""
        raise CheckpointError(f"{folder}: missing {CONFIG_FILE}{hint}")
    if config_path.stat().st_size > MAX_CONFIG_BYTES:
        raise CheckpointError(f"{config_path}: config too large")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"), parse_constant=_refuse)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as error:
        raise CheckpointError(f"{config_path}: not valid JSON ({error})") from None
    validate_config(config, source=str(config_path))
    return config


def _refuse(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON number")


def validate_config(config: Any, source: str = "config") -> None:
    """Checks a checkpoint config as untrusted input; raises :class:`CheckpointError`.

    Every key must be known, with its type; numbers must be finite and in range; the
    architecture a known timm model name; ``backbone_kwargs`` only :data:`BACKBONE_KWARGS`;
    the head and preprocessing only their own keys. Free-form ``training`` and ``metrics``
    are shown, never executed, and bounded by :data:`MAX_CONFIG_BYTES`.
    """
    if not isinstance(config, dict):
        raise CheckpointError(f"{source}: must be a JSON object")
    missing = [key for key in REQUIRED_KEYS if key not in config]
    if missing:
        raise CheckpointError(f"{source}: missing keys {missing}")
    unknown = sorted(str(key) for key in config if key not in {**REQUIRED_KEYS, **OPTIONAL_KEYS})
    if unknown:
        raise CheckpointError(
            f"{source}: unknown keys {unknown[:5]}; valid keys: "
            f"{sorted({**REQUIRED_KEYS, **OPTIONAL_KEYS})}"
        )
    for key, expected in {**REQUIRED_KEYS, **OPTIONAL_KEYS}.items():
        if key in config and not _is(config[key], expected):
            raise CheckpointError(f"{source}: {key!r} has the wrong type")
    if config["format_version"] > FORMAT_VERSION:
        raise CheckpointError(
            f"{source}: format_version {config['format_version']} is newer than this SkiLL "
            f"understands ({FORMAT_VERSION}); upgrade SkiLL"
        )
    if config["format_version"] < 1:
        raise CheckpointError(f"{source}: format_version must be at least 1")
    for key in ("embedding_dim", "feature_dim"):
        if not 1 <= config[key] <= MAX_DIM:
            raise CheckpointError(f"{source}: {key} must be in [1, {MAX_DIM}], got {config[key]}")
    if not NAME_PATTERN.match(config["name"]):
        raise CheckpointError(
            f"{source}: name must be 1-64 letters, digits, '-', '_' or '.', starting with a "
            f"letter or digit; got {config['name'][:80]!r}"
        )
    for key in ("display_name", "description", "role", "created"):
        if len(config.get(key, "")) > MAX_TEXT:
            raise CheckpointError(f"{source}: {key} longer than {MAX_TEXT:,} characters")
    _check_architecture(config["architecture"], source)
    _check_backbone_kwargs(config.get("backbone_kwargs", {}), source)
    _check_pool_stages(config.get("pool_stages", []), source)
    _check_preprocess(config["preprocess"], source)
    if config.get("head") is not None:
        _check_head(config["head"], config, source)


def _is(value: Any, expected: type | tuple[type, ...]) -> bool:
    """``isinstance``, except that a bool is not an int and an int is a float."""
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):
        return bool in kinds
    if float in kinds and isinstance(value, int):
        return True
    return isinstance(value, kinds)


def _check_architecture(architecture: str, source: str) -> None:
    if not ARCHITECTURE_PATTERN.match(architecture):
        raise CheckpointError(
            f"{source}: architecture must be a timm model name (letters, digits, '_', an "
            f"optional .tag); got {architecture[:80]!r}"
        )
    import timm

    if not timm.is_model(architecture):
        raise CheckpointError(f"{source}: unknown timm architecture {architecture!r}")


def _check_backbone_kwargs(kwargs: dict, source: str) -> None:
    for key, value in kwargs.items():
        allowed = BACKBONE_KWARGS.get(key)
        if allowed is None:
            raise CheckpointError(
                f"{source}: backbone_kwargs {str(key)[:80]!r} is not allowed; allowed: "
                f"{sorted(BACKBONE_KWARGS)}"
            )
        if key == "global_pool":
            if value not in allowed:
                raise CheckpointError(f"{source}: global_pool must be one of {allowed}")
        elif not (_is(value, float) and allowed[0] <= value <= allowed[1]):
            raise CheckpointError(
                f"{source}: {key} must be a number in [{allowed[0]}, {allowed[1]}]"
            )


def _check_pool_stages(stages: list, source: str) -> None:
    """At most :data:`MAX_POOL_STAGES` small integers; their range and order are the
    backbone's to check when it is built (:func:`skill.encoders.stage_pooling.check_stages`,
    refused by :func:`skill.encoders.encoder.load_encoder` as a config it cannot build)."""
    if len(stages) > MAX_POOL_STAGES or not all(_is(s, int) and 0 <= s < 64 for s in stages):
        raise CheckpointError(
            f"{source}: pool_stages must be at most {MAX_POOL_STAGES} block indices"
        )


def _check_preprocess(preprocess: dict, source: str) -> None:
    from skill.images.preprocess import _INTERPOLATIONS, RESIZE_MODES

    for key, value in preprocess.items():
        expected = PREPROCESS_KEYS.get(key)
        if expected is None:
            raise CheckpointError(
                f"{source}: unknown preprocess key {str(key)[:80]!r}; valid: "
                f"{sorted(PREPROCESS_KEYS)}"
            )
        if not _is(value, expected):
            raise CheckpointError(f"{source}: preprocess {key!r} has the wrong type")
    size = preprocess.get("input_size", 224)
    if not 16 <= size <= 1024:
        raise CheckpointError(f"{source}: preprocess input_size must be in [16, 1024], got {size}")
    crop = preprocess.get("crop_pct", 0.875)
    if not (math.isfinite(crop) and 0.1 < crop <= 1.0):
        raise CheckpointError(f"{source}: preprocess crop_pct must be in (0.1, 1]")
    if preprocess.get("resize_mode", "crop") not in RESIZE_MODES:
        raise CheckpointError(f"{source}: preprocess resize_mode must be one of {RESIZE_MODES}")
    if preprocess.get("interpolation", "bicubic") not in _INTERPOLATIONS:
        raise CheckpointError(
            f"{source}: preprocess interpolation must be one of {tuple(_INTERPOLATIONS)}"
        )
    for key, low in (("mean", -10.0), ("std", 1e-6)):
        values = preprocess.get(key, [0.5, 0.5, 0.5])
        if len(values) != 3 or not all(
            _is(v, float) and math.isfinite(v) and low <= v <= 10.0 for v in values
        ):
            raise CheckpointError(
                f"{source}: preprocess {key} must be 3 finite numbers in [{low:g}, 10]"
            )


def _check_head(head: dict, config: dict, source: str) -> None:
    from skill.encoders.heads import HEAD_TYPES

    for key, value in head.items():
        expected = HEAD_KEYS.get(key)
        if expected is None:
            raise CheckpointError(
                f"{source}: unknown head key {str(key)[:80]!r}; valid: {sorted(HEAD_KEYS)}"
            )
        if not _is(value, expected):
            raise CheckpointError(f"{source}: head {key!r} has the wrong type")
    for key in ("in_dim", "out_dim"):
        if key not in head:
            raise CheckpointError(f"{source}: the head needs {key!r}")
    kind = head.get("type", "mlp")
    if kind not in HEAD_TYPES:
        raise CheckpointError(f"{source}: head type must be one of {HEAD_TYPES}, got {kind!r}")
    hidden, layers = head.get("hidden_dim", 1024), head.get("num_layers", 2)
    for key, value in (("in_dim", head["in_dim"]), ("out_dim", head["out_dim"]),
                       ("hidden_dim", hidden)):  # fmt: skip
        if not 1 <= value <= MAX_DIM:
            raise CheckpointError(f"{source}: head {key} must be in [1, {MAX_DIM}], got {value}")
    if kind == "mlp" and not 2 <= layers <= 8:
        raise CheckpointError(f"{source}: an mlp head has 2-8 layers, got {layers}")
    if head["in_dim"] != config["feature_dim"] or head["out_dim"] != config["embedding_dim"]:
        raise CheckpointError(
            f"{source}: the head maps {head['in_dim']} -> {head['out_dim']} but the config "
            f"says feature_dim {config['feature_dim']}, embedding_dim {config['embedding_dim']}"
        )
    if kind == "mlp":
        weights = hidden * (head["in_dim"] + head["out_dim"] + hidden * (layers - 2))
    else:
        weights = head["in_dim"] * head["out_dim"]
    if weights > MAX_HEAD_PARAMETERS:
        raise CheckpointError(
            f"{source}: head of {weights:,} weights refused (limit {MAX_HEAD_PARAMETERS:,})"
        )


def load_checkpoint(folder: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Loads tensors and config from a checkpoint folder, without unpickling anything.

    Returns:
        ``(state_dict, config)``.

    Raises:
        CheckpointError: Missing files, invalid config, or a malformed safetensors file.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(folder)
    config = read_config(folder)
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise CheckpointError(f"{folder}: missing {WEIGHTS_FILE}")
    try:
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"{weights}: not a valid safetensors file ({error})") from None
    return state, config


def save_checkpoint(
    folder: str | os.PathLike, state_dict: dict[str, torch.Tensor], config: dict[str, Any]
) -> Path:
    """Writes a checkpoint folder atomically (temporary folder, then rename).

    Args:
        folder: Destination; replaced if it exists.
        state_dict: Tensors to save (made contiguous; shared storage is copied).
        config: Checkpoint config; ``format_version`` is filled in. Validated before writing.

    Returns:
        The destination folder.
    """
    from safetensors.torch import save_file

    folder = Path(folder)
    config = {"format_version": FORMAT_VERSION, **config}
    if "metrics" in config:
        config["metrics"] = json_ready(config["metrics"])
    validate_config(config)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        tensors = {
            key: value.detach().cpu().contiguous().clone() for key, value in state_dict.items()
        }
        save_file(tensors, str(staging / WEIGHTS_FILE))
        (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        if folder.exists():
            backup = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(backup, ignore_errors=True)
            folder.rename(backup)
            staging.rename(folder)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def write_config(folder: str | os.PathLike, config: dict[str, Any]) -> Path:
    """Rewrites a checkpoint's ``config.json`` atomically, validated, weights untouched.

    For what is added after training (a same-design rule, figures measured later); undefined
    metrics are written as null (:func:`json_ready`).
    """
    folder = Path(folder)
    config = dict(config)
    if "metrics" in config:
        config["metrics"] = json_ready(config["metrics"])
    validate_config(config, str(folder / CONFIG_FILE))
    staging = folder / f".{CONFIG_FILE}.tmp"
    staging.write_text(json.dumps(config, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    staging.replace(folder / CONFIG_FILE)
    return folder / CONFIG_FILE


def json_ready(metrics: dict[str, Any]) -> dict[str, Any]:
    """``metrics`` with NaN and infinities as None: JSON has no NaN, and the reader refuses it.

    A figure is NaN when it is undefined (the precision of a rule that answered nothing).
    """
    return {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in metrics.items()
    }


def file_digest(path: str | os.PathLike, length: int = 12, settings: dict | None = None) -> str:
    """Short SHA-256 of a file, and of ``settings`` (as sorted JSON) where given."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if settings is not None:
        digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:length]


DESCRIPTIVE_KEYS = frozenset(
    {"name", "display_name", "description", "role", "metrics", "training", "created", "same_design"}
)
"""``config.json`` entries that describe an encoder without changing what it computes: writing
a calibrated rule or new figures into them keeps its digest."""


def encoder_digest(weights: str | os.PathLike, config: dict) -> str:
    """Names what an encoder computes: its weights file and every setting of its config but
    the descriptive ones (:data:`DESCRIPTIVE_KEYS`): pooling, preprocessing, the head.

    Embedding caches, ONNX exports, int8 models and catalog versions are keyed by it, so the
    same weights under a changed config give new embeddings rather than the old ones.
    """
    return file_digest(
        weights, settings={k: v for k, v in config.items() if k not in DESCRIPTIVE_KEYS}
    )
