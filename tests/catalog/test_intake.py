"""Tests of skill.catalog.intake: a build request checked in order, photos from a folder or a zip."""

import io
import zipfile

import pytest

from skill.catalog.intake import IntakeError, find_csv, prepare_build, uploads_dir
from skill.images.archive import ArchiveError


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILL_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_folder_with_a_lone_csv(shape_photos, data):
    inputs = prepare_build(" spring ", ["imagenet-lite0"], folder=f" {shape_photos} ")
    assert inputs.name == "spring"
    assert inputs.images == shape_photos
    assert inputs.csv == shape_photos / "catalog.csv"
    assert inputs.encoders == ("imagenet-lite0",) and inputs.refused == ()


def test_zip_is_extracted_under_uploads_and_refusals_are_kept(data):
    archive = _zip(
        {"a.png": b"png bytes", "labels/l.csv": b"id\n", "../evil.png": b"x", "notes.txt": b""}
    )
    inputs = prepare_build("shop", ["m"], archive=archive)
    assert inputs.images == uploads_dir("shop") == data / "uploads" / "shop"
    assert (inputs.images / "a.png").read_bytes() == b"png bytes"
    assert inputs.csv == inputs.images / "labels" / "l.csv"
    assert {entry for entry, _ in inputs.refused} == {"../evil.png", "notes.txt"}
    assert not (data / "uploads" / "evil.png").exists()


def test_zip_without_a_usable_photo_says_so_and_lists_what_it_refused(data):
    with pytest.raises(IntakeError, match="no usable photo") as caught:
        prepare_build("shop", ["m"], archive=_zip({"../evil.png": b"x"}))
    assert [entry for entry, _ in caught.value.refused] == ["../evil.png"]
    with pytest.raises(ArchiveError, match="not a readable zip"):
        prepare_build("shop", ["m"], archive=b"not a zip")


@pytest.mark.parametrize(
    ("name", "encoders", "folder", "message"),
    [
        ("../bad", [], "", "catalog name"),  # the name is checked first
        ("demo", ["m"], "/tmp", "reserved"),
        ("fine", [], "/nonexistent", "Choose at least one encoder"),
        ("fine", ["m"], "/nonexistent/folder", "No folder at /nonexistent/folder"),
        ("fine", ["m"], "  ", "Give a folder of photos or upload a zip"),
    ],
)
def test_bad_requests_stop_at_the_first_problem(data, name, encoders, folder, message):
    with pytest.raises(IntakeError, match=message) as caught:
        prepare_build(name, encoders, folder=folder)
    assert caught.value.refused == []
    assert not (data / "uploads").exists()


def test_find_csv(tmp_path):
    assert find_csv(tmp_path) is None  # no CSV
    (tmp_path / "a.csv").write_text("id\n")
    assert find_csv(tmp_path) == tmp_path / "a.csv"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.csv").write_text("id\n")
    assert find_csv(tmp_path, "  ") is None  # two CSVs: which one is not guessed
    assert find_csv(tmp_path, "sub/b.csv") == tmp_path / "sub" / "b.csv"
    assert find_csv(tmp_path, "/elsewhere/x.csv").as_posix() == "/elsewhere/x.csv"
