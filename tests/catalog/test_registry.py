import json

import pytest

from skill.catalog import registry


def _fake_catalog(folder, items, encoders=("imagenet-lite0",), designs=0):
    version = folder / "v-1"
    version.mkdir(parents=True)
    (folder / "CURRENT").write_text("v-1\n")
    manifest = {
        "counts": {"items": items, "skipped": 1, "designs": designs},
        "encoders": {name: {"folder": name} for name in encoders},
        "created": "2026-01-01T00:00:00+00:00",
    }
    (version / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILL_DATA_DIR", str(tmp_path))
    return tmp_path


def test_data_dir_follows_environment(data):
    assert registry.data_dir() == data
    assert registry.catalogs_dir() == data / "catalogs"
    assert registry.demo_catalog_dir() == data / "demo" / "catalog"


def test_lists_demo_first_then_by_name_skipping_broken(data):
    _fake_catalog(data / "catalogs" / "zeta", 3)
    _fake_catalog(data / "catalogs" / "Alpha", 5, encoders=("a", "b"), designs=2)
    (data / "catalogs" / "broken").mkdir()
    (data / "catalogs" / "broken" / "CURRENT").write_text("v-missing")
    _fake_catalog(data / "demo" / "catalog", 40)
    entries = registry.list_catalogs()
    assert [e.name for e in entries] == ["demo", "Alpha", "zeta"]
    assert entries[0].is_demo and entries[0].items == 40
    alpha = entries[1]
    assert (alpha.items, alpha.skipped, alpha.designs, alpha.encoders) == (5, 1, 2, ("a", "b"))


def test_no_catalogs_is_empty(data):
    assert registry.list_catalogs() == []


@pytest.mark.parametrize("bad", ["", "demo", "../x", "a/b", ".hidden", "x" * 65, "sp ace"])
def test_bad_names_refused(bad):
    with pytest.raises(ValueError):
        registry.check_catalog_name(bad)


def test_catalog_path(data):
    assert registry.catalog_path("spring-25") == data / "catalogs" / "spring-25"
    assert registry.catalog_path("demo") == data / "demo" / "catalog"
