"""Resumable training state without pickle: tensors in safetensors, everything else in JSON.

A state folder holds ``tensors.safetensors`` (each module's tensors as ``<name>.<key>`` and the
flattened optimizer moments as ``optimizer.<param index>.<moment>``) and ``state.json`` (the
run's position, e.g. epoch and step, and the optimizer's param groups). The folder is written
whole into a temporary sibling and renamed into place, so an interrupted save leaves the last
complete state.

Example:
    >>> modules = {"student": student, "teacher": teacher, "loss": loss_fn}
    >>> save_state(folder, modules, optimizer, {"epoch": 1, "global_step": 40})
    >>> position = load_state(folder, modules, optimizer)  # None when nothing was saved
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

TENSORS_FILE = "tensors.safetensors"
STATE_FILE = "state.json"


def save_state(
    folder: str | os.PathLike,
    modules: Mapping[str, nn.Module],
    optimizer: torch.optim.Optimizer,
    position: dict[str, Any],
) -> Path:
    """Writes the state atomically (temporary folder, then rename).

    Args:
        folder: The state folder, e.g. ``runs/skill/state``.
        modules: Modules whose tensors are state, by name (e.g. student, teacher and the loss,
            whose centre is state); names must not contain dots.
        optimizer: The optimizer (moments and param groups).
        position: JSON-able schedule position and anything else to restore.

    Returns:
        The folder.
    """
    from safetensors.torch import save_file

    folder = Path(folder)
    tensors: dict[str, torch.Tensor] = {}
    for prefix, module in modules.items():
        if "." in prefix or prefix == "optimizer":
            raise ValueError(f"module name must be dot-free and not 'optimizer', got {prefix!r}")
        tensors.update({f"{prefix}.{k}": v for k, v in module.state_dict().items()})
    optim = optimizer.state_dict()
    for index, moments in optim["state"].items():
        for name, value in moments.items():
            tensors[f"optimizer.{index}.{name}"] = torch.as_tensor(value)
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    meta = {"position": position, "param_groups": optim["param_groups"]}
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        save_file(tensors, str(staging / TENSORS_FILE))
        (staging / STATE_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        backup = folder.with_name(f".{folder.name}.old")
        if folder.exists():
            shutil.rmtree(backup, ignore_errors=True)
            folder.rename(backup)
        staging.rename(folder)
        shutil.rmtree(backup, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def has_state(folder: str | os.PathLike) -> bool:
    """Says whether a complete state was saved in ``folder``."""
    folder = Path(folder)
    return (folder / TENSORS_FILE).is_file() and (folder / STATE_FILE).is_file()


def load_state(
    folder: str | os.PathLike,
    modules: Mapping[str, nn.Module],
    optimizer: torch.optim.Optimizer,
) -> dict[str, Any] | None:
    """Restores what :func:`save_state` wrote, strictly, and returns the saved position.

    Returns:
        The position, or None (nothing restored) when ``folder`` holds no complete state.
    """
    from safetensors.torch import load_file

    folder = Path(folder)
    if not has_state(folder):
        return None
    tensors = load_file(str(folder / TENSORS_FILE), device="cpu")
    meta = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    for prefix, module in modules.items():
        part = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
        module.load_state_dict(part, strict=True)
    moments: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            moments.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": moments, "param_groups": meta["param_groups"]})
    return meta["position"]
