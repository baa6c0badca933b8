"""Where SkiLL's files live: the project folder, shipped assets and the data folder.

Every default path in the library is relative to the project, never to one machine:

    <project>/assets/encoders/   shipped encoder checkpoints
    <project>/data/              catalogs, the demo, training caches (``$SKILL_DATA_DIR`` overrides)

A relative path in a setting is read from one of these folders (:func:`project_path`,
:func:`data_path`), so a config never needs, or records, an absolute path of one machine.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
ASSETS_ENCODERS = PROJECT_DIR / "assets" / "encoders"


def data_dir() -> Path:
    """The data folder: ``$SKILL_DATA_DIR`` if set, else ``<project>/data``."""
    configured = os.environ.get("SKILL_DATA_DIR")
    return Path(configured) if configured else PROJECT_DIR / "data"


DEFAULT_TRAINING_DATA = "../shared/data/hm_colour_variants"
"""The labelled photos the training recipes default to, relative to the project folder."""


def project_path(path: str | os.PathLike) -> Path:
    """A path as given, with a relative one read from the project folder (not the caller's cwd)."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else PROJECT_DIR / path


def data_path(path: str | os.PathLike) -> Path:
    """A path as given, with a relative one read from the data folder (:func:`data_dir`)."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else data_dir() / path
