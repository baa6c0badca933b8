"""What every training config shares: ``--set field=value`` parsing, paths, JSON round trips.

Example:
    >>> parse_settings(PRESETS["cpu"], ["input_grayscale=true", "global_scale=0.2,0.8"])
    {'input_grayscale': True, 'global_scale': (0.2, 0.8)}
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from skill.paths import project_path


class RunSettings:
    """Mixed into a frozen training-config dataclass with ``images_dir`` and ``output_dir``."""

    images_dir: str
    output_dir: str

    @property
    def images_path(self) -> Path:
        """``images_dir`` resolved (relative to the project folder)."""
        return project_path(self.images_dir)

    @property
    def output_path(self) -> Path:
        """``output_dir`` resolved (relative to the project folder)."""
        return project_path(self.output_dir)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-able values, paths as given."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]):
        """Rebuilds a config saved by :meth:`to_dict` (JSON turns tuples into lists)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown {cls.__name__} keys {sorted(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def parse_settings(config, settings: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``field=value`` strings as typed changes of the dataclass ``config``.

    Values are parsed as the field's current type (bool, int, float, tuple of numbers as
    ``a,b``, whole numbers staying integers; ``none``); a field whose value is None takes an
    integer or a string.

    Raises:
        ValueError: An unknown field or an unparsable value.
    """
    fields = {f.name for f in dataclasses.fields(config)}
    changes: dict[str, Any] = {}
    for setting in settings:
        key, sep, value = setting.partition("=")
        key = key.strip().replace("-", "_")
        if key not in fields or not sep:
            raise ValueError(f"--set needs field=value with a field of {sorted(fields)}")
        current = getattr(config, key)
        try:
            if value.lower() == "none":
                changes[key] = None
            elif isinstance(current, bool):
                changes[key] = value.lower() in ("1", "true", "yes")
            elif isinstance(current, tuple):
                changes[key] = tuple(_number(v) for v in value.split(","))
            elif isinstance(current, int):
                changes[key] = int(value)
            elif isinstance(current, float):
                changes[key] = float(value)
            elif current is None and value.lstrip("-").isdigit():  # e.g. an optional cap
                changes[key] = int(value)
            else:
                changes[key] = value
        except ValueError:
            raise ValueError(
                f"--set {key}: cannot read {value!r} as {type(current).__name__}"
            ) from None
    return changes


def _number(text: str) -> int | float:
    """``3`` as an int, ``0.5`` as a float."""
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else float(text)
