"""Fixtures shared by every test package: the tiny encoder, shape photos, the shared H&M data.

Helpers that build things (photos, checkpoints) live in :mod:`tests.shapes`; the app's own
fixtures are in ``tests/ui/conftest.py``.
"""

from __future__ import annotations

import pytest

from skill.paths import DEFAULT_TRAINING_DATA, project_path
from tests.shapes import save_random_attribute_model, save_tiny_encoder, write_shapes


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory):
    """A random resnet10t + linear head checkpoint folder named ``tiny-random`` (64 px, 16-d)."""
    return save_tiny_encoder(tmp_path_factory.mktemp("encoders") / "tiny-random")


@pytest.fixture(scope="session")
def attribute_model_dir(tmp_path_factory):
    """A random attention head on the ImageNet Lite0 trunk, 5 labels (``tests.shapes``)."""
    return save_random_attribute_model(tmp_path_factory.mktemp("attributes") / "random-attributes")


@pytest.fixture
def shape_photos(tmp_path):
    """A folder of 16 shape photos (4 designs x 4 colours) with ``catalog.csv``."""
    folder = tmp_path / "photos"
    write_shapes(folder)
    return folder


@pytest.fixture(scope="session")
def hm_data():
    """The shared H&M colour-variant photos; the test skips where they are absent."""
    folder = project_path(DEFAULT_TRAINING_DATA)
    if not (folder / "articles.csv").is_file():
        pytest.skip("shared H&M data absent (../shared/data/hm_colour_variants)")
    return folder
