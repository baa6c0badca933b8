"""Encoder checkpoints: a folder with ``model.safetensors`` and ``config.json``.

The layout follows timm's ``save_for_hf()``::

    my-encoder/
      model.safetensors   tensors only (backbone.*, head.*); never a pickle
      config.json         architecture, head, embedding size, preprocessing, recipe, metrics

Loading validates ``config.json`` against :data:`REQUIRED_KEYS` and reads tensors with
safetensors, which cannot execute code. Pickled files (``.pt``, ``.pth``, ``.bin``, ``.ckpt``)
are refused with a clear error instead of being unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
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
    "head": (dict, type(None)),
    "training": dict,
    "metrics": dict,
    "same_design": dict,
    "created": str,
}
_PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle")
MAX_CONFIG_BYTES = 1_000_000


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
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{config_path}: not valid JSON ({error})") from None
    validate_config(config, source=str(config_path))
    return config


def validate_config(config: Any, source: str = "config") -> None:
    """Checks the keys and types of a checkpoint config; raises :class:`CheckpointError`."""
    if not isinstance(config, dict):
        raise CheckpointError(f"{source}: must be a JSON object")
    missing = [key for key in REQUIRED_KEYS if key not in config]
    if missing:
        raise CheckpointError(f"{source}: missing keys {missing}")
    for key, expected in {**REQUIRED_KEYS, **OPTIONAL_KEYS}.items():
        if key in config and not isinstance(config[key], expected):
            raise CheckpointError(f"{source}: {key!r} has the wrong type")
    if config["format_version"] > FORMAT_VERSION:
        raise CheckpointError(
            f"{source}: format_version {config['format_version']} is newer than this SkiLL "
            f"understands ({FORMAT_VERSION}); upgrade SkiLL"
        )
    if not 1 <= config["embedding_dim"] <= 65536 or not 1 <= config["feature_dim"] <= 65536:
        raise CheckpointError(f"{source}: embedding_dim and feature_dim must be in [1, 65536]")


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


def file_digest(path: str | os.PathLike, length: int = 12) -> str:
    """Short SHA-256 of a file: names the exact weights a catalog was built with."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]
