import io
import stat
import zipfile

import pytest

from skill.images.archive import ArchiveError, ArchiveLimits, check_entry_name, extract_zip


def _zip(entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, safe",
    [
        ("photos/a.jpg", True),
        ("a.png", True),
        ("/etc/passwd.jpg", False),
        ("../evil.jpg", False),
        ("photos/../../evil.jpg", False),
        ("C:/windows/evil.jpg", False),
        ("..\\evil.jpg", False),
    ],
)
def test_check_entry_name(name, safe):
    assert (check_entry_name(name) is None) == safe


def test_extracts_photos_and_csv_and_refuses_the_rest(tmp_path):
    data = _zip(
        {
            "shop/a.jpg": b"jpeg bytes",
            "shop/labels.csv": b"id,image_path\n",
            "../escape.jpg": b"x",
            "/abs.jpg": b"x",
            "notes.txt": b"hello",
            "__MACOSX/shop/._a.jpg": b"x",
        },
        symlinks={"shop/link.jpg": "/etc/passwd"},
    )
    report = extract_zip(data, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in report.extracted) == [
        "shop/a.jpg",
        "shop/labels.csv",
    ]
    assert (tmp_path / "out" / "shop" / "a.jpg").read_bytes() == b"jpeg bytes"
    reasons = dict(report.refused)
    assert "'..'" in reasons["../escape.jpg"]
    assert "absolute" in reasons["/abs.jpg"]
    assert "symbolic link" in reasons["shop/link.jpg"]
    assert "not a photo" in reasons["notes.txt"]
    assert "__MACOSX/shop/._a.jpg" in reasons
    assert not (tmp_path / "escape.jpg").exists()
    assert not (tmp_path / "out" / "shop" / "link.jpg").exists()


def test_file_count_limit_refuses_each_extra_entry(tmp_path):
    data = _zip({f"{i}.jpg": b"x" for i in range(5)})
    report = extract_zip(data, tmp_path, ArchiveLimits(max_files=3))
    assert len(report.extracted) == 3
    assert len(report.refused) == 2
    assert all("3 files" in reason for _, reason in report.refused)


def test_total_bytes_counted_while_decompressing(tmp_path):
    # Highly compressible entries: headers say small compressed size, real size is large.
    data = _zip({"a.jpg": b"\0" * 600, "b.jpg": b"\0" * 600, "c.jpg": b"\0" * 100})
    report = extract_zip(data, tmp_path, ArchiveLimits(max_total_bytes=1000))
    assert [p.name for p in report.extracted] == ["a.jpg", "c.jpg"]
    assert "bytes reached" in dict(report.refused)["b.jpg"]
    assert report.total_bytes == 700
    assert not list(tmp_path.glob("*.part"))


def test_single_file_limit(tmp_path):
    report = extract_zip(
        _zip({"big.jpg": b"\0" * 5000}), tmp_path, ArchiveLimits(max_file_bytes=10)
    )
    assert report.extracted == []
    assert "larger than" in report.refused[0][1]


def test_not_a_zip_raises(tmp_path):
    with pytest.raises(ArchiveError, match="not a readable zip"):
        extract_zip(b"definitely not a zip", tmp_path)


def test_accepts_path_and_file_object(tmp_path):
    path = tmp_path / "in.zip"
    path.write_bytes(_zip({"a.webp": b"x"}))
    assert len(extract_zip(path, tmp_path / "a").extracted) == 1
    with open(path, "rb") as handle:
        assert len(extract_zip(handle, tmp_path / "b").extracted) == 1
