"""Fixtures of the app tests: one tiny catalog per module, and the app opened on it."""

import pytest

from tests.ui.apptest import make_tiny_catalog, open_app


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    make_tiny_catalog(root)
    return root


@pytest.fixture
def app(data_dir, monkeypatch):
    """The app on the tiny catalog, first page."""
    return open_app(data_dir, monkeypatch)
