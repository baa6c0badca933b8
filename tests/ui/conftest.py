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


@pytest.fixture
def downloads(monkeypatch):
    """The bytes behind every download button the app draws while a test runs, by URL.

    AppTest serves a download button's data from an in-memory media store that lives for one
    run; this records what is put there, under the URL the button's proto carries.
    """
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    served: dict[str, bytes] = {}
    store = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        file_id = store(self, path_or_data, mimetype, kind, filename)
        served[self.get_url(file_id)] = self.get_file(file_id).content
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return served
