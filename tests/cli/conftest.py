"""Fixtures of the command-line tests: shape photos, a catalog of them, an in-process runner.

The tiny encoder (``tiny_encoder_dir``) comes from ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest

from skill.cli import main
from tests.shapes import write_shapes


@pytest.fixture(scope="session")
def cli_photos(tmp_path_factory):
    """32 shape photos (4 designs x 4 colours x 2 copies) with ``catalog.csv``; read-only."""
    folder = tmp_path_factory.mktemp("cli") / "photos"
    write_shapes(folder, copies=2)
    return folder


@pytest.fixture(scope="session")
def cli_catalog(tmp_path_factory, cli_photos, tiny_encoder_dir):
    """A catalog of :func:`cli_photos` built with the tiny encoder and a PCA map; read-only."""
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig

    folder = tmp_path_factory.mktemp("cli") / "catalog"
    build_catalog(
        cli_photos,
        folder,
        csv_path=cli_photos / "catalog.csv",
        encoders=[str(tiny_encoder_dir)],
        config=CatalogConfig(map=MapConfig(method="pca")),
    )
    return folder


@pytest.fixture
def run_cli(capsys):
    """Runs ``python -m skill`` in-process: ``run_cli("search", photo, ...)`` -> (code, out, err)."""

    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run
