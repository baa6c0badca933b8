"""The demo catalog: generated product photos, indexed with every shipped encoder.

``python -m skill demo`` (or the app's first-run button) renders the procedural demo photos
with :mod:`skill.demo` and builds a catalog over them, so the app has something to show on a
machine with no data. Both steps skip work already done: complete photos are not rendered
again and the catalog build reuses its embedding cache.

Example:
    >>> if not demo_catalog_ready():
    ...     build_demo()
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from skill.catalog.pointer import current_version
from skill.paths import data_dir
from skill.progress import Progress

DEMO_COLUMNS = dict(
    image="image_path",
    id="id",
    design="design_id",
    color="colour_name",
    category="kind",
    title="title",
    date="launch_date",
)
"""How the demo's ``catalog.csv`` maps onto catalog columns."""


def demo_dir() -> Path:
    """The demo folder in use (follows ``$SKILL_DATA_DIR``)."""
    return data_dir() / "demo"


def demo_catalog_ready(root: str | os.PathLike | None = None) -> bool:
    """Says whether the demo catalog has been built (its live version has a manifest)."""
    catalog = Path(root or demo_dir()) / "catalog"
    version = current_version(catalog)
    return version is not None and (catalog / version / "manifest.json").is_file()


def default_encoders() -> list:
    """Every shipped checkpoint in ``assets/encoders`` that loads, then the built-in
    ``luminance-lite0`` (hue-blind design baseline) and ``imagenet-lite0``."""
    from skill.encoders.checkpoint import CheckpointError
    from skill.encoders.registry import create_encoder, list_encoders

    loaded = []
    for info in list_encoders():
        if info.source in ("builtin", "timm"):
            continue
        try:
            loaded.append(create_encoder(info.source))
        except (CheckpointError, ValueError, RuntimeError, OSError):
            continue  # a broken checkpoint must not stop the demo
    return [*loaded, "luminance-lite0", "imagenet-lite0"]


def build_demo(
    progress: Progress | None = None,
    encoders: Sequence | None = None,
    root: str | os.PathLike | None = None,
    force: bool = False,
    map_method: str = "umap",
    demo_config=None,
):
    """Renders the demo photos (unless complete) and builds the demo catalog.

    Args:
        progress: Every stage of rendering and indexing (:mod:`skill.progress`).
        encoders: Encoder names, paths or loaded encoders; default :func:`default_encoders`.
        root: Demo folder; default :func:`demo_dir`.
        force: Render the photos again even if they are complete.
        map_method: ``umap`` or ``pca`` (instant; for tests).
        demo_config: A ``skill.demo.DemoConfig``; default ``DemoConfig()`` (about 1,100 photos).

    Returns:
        The catalog folder (``<root>/catalog``).
    """
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig
    from skill.catalog.source import ColumnMap
    from skill.demo import DemoConfig, build_demo_catalog

    root = Path(root or demo_dir())
    photos = root / "photos"
    if force:
        shutil.rmtree(photos, ignore_errors=True)
    # build_demo_catalog returns at once when the photos are already complete.
    csv_path = build_demo_catalog(
        photos,
        demo_config or DemoConfig(),
        progress=progress,
        verbose=False,
    )
    build_catalog(
        photos,
        root / "catalog",
        csv_path,
        ColumnMap(**DEMO_COLUMNS),
        encoders=list(encoders) if encoders is not None else default_encoders(),
        config=CatalogConfig(map=MapConfig(method=map_method)),
        progress=progress,
        # The demo catalog is its photos folder, nothing else: photos rendered again from
        # another config replace it (the same config keeps every row and reuses the cache).
        replace=True,
        allow_shrink=True,
    )
    return root / "catalog"
