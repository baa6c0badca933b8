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


def test_a_zip_bomb_of_zeros_writes_no_more_than_its_ratio_allows(tmp_path):
    # The reported upload: 20 entries of 45 MiB of zeros in a zip of about 0.9 MB.
    path = tmp_path / "bomb.zip"
    block = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(20):
            with archive.open(f"photo-{i}.jpg", "w") as entry:
                for _ in range(45):
                    entry.write(block)
    size = path.stat().st_size
    assert size < 1_000_000
    limits = ArchiveLimits()
    report = extract_zip(path, tmp_path / "out", limits)
    written = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written <= limits.total_budget(size) < 50_000_000  # 50 x 0.92 MB, not 944 MB
    assert len(report.refused) >= 19
    assert any("decompresses far more than photos do" in reason for _, reason in report.refused)
    assert not list((tmp_path / "out").rglob("*.part"))


def test_photos_that_do_not_compress_are_not_limited_by_the_ratio(tmp_path):
    import os

    entries = {f"{i}.jpg": os.urandom(200_000) for i in range(3)}  # like JPEG data
    limits = ArchiveLimits(ratio_floor_bytes=0, max_ratio=2)
    assert len(extract_zip(_zip(entries), tmp_path, limits).extracted) == 3


def test_entries_that_normalise_to_one_path_are_refused_after_the_first(tmp_path):
    data = _zip(
        {
            "shop/a.jpg": b"first",
            "shop/./a.jpg": b"second",
            "SHOP/A.JPG": b"third",
            "shop\\a.jpg": b"fourth",
            "caf\u00e9.jpg": b"composed",
            "cafe\u0301.jpg": b"decomposed",
            "x.jpg": b"a file",
            "x.jpg/y.jpg": b"needs x.jpg to be a folder",
            "d/e.jpg": b"in a folder",
            "d.jpg/../d": b"x",
        }
    )
    report = extract_zip(data, tmp_path / "out")
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in report.extracted)
    assert written == ["café.jpg", "d/e.jpg", "shop/a.jpg", "x.jpg"]
    assert (tmp_path / "out" / "shop" / "a.jpg").read_bytes() == b"first"
    reasons = dict(report.refused)
    for name in ("shop/./a.jpg", "SHOP/A.JPG", "shop\\a.jpg", "cafe\u0301.jpg"):
        assert "normalises to an earlier entry's path" in reasons[name]
    assert "file where this one needs a folder" in reasons["x.jpg/y.jpg"]


def test_refused_entries_are_capped_and_the_rest_is_not_read(tmp_path):
    data = _zip({**{f"notes-{i}.txt": b"x" for i in range(50)}, "late.jpg": b"jpeg"})
    report = extract_zip(data, tmp_path, ArchiveLimits(max_refused=10))
    assert len(report.refused) == 11 and report.extracted == []
    assert report.refused[-1][1].startswith("stopped after 10 refused entries")


def test_messages_never_show_a_server_path(tmp_path):
    destination = tmp_path / "srv" / "uploads" / "spring"
    (destination / "blocked.jpg").mkdir(parents=True)  # writing this file will fail
    (destination / "blocked.jpg" / "inside").write_text("x")
    data = _zip({"blocked.jpg": b"x", "ok.jpg": b"y", "big.jpg": b"\0" * 5000})
    report = extract_zip(data, destination, ArchiveLimits(max_file_bytes=1000))
    assert [p.name for p in report.extracted] == ["ok.jpg"]
    messages = [reason for _, reason in report.refused]
    with pytest.raises(ArchiveError) as missing:
        extract_zip(tmp_path / "srv" / "nothing.zip", destination)
    messages.append(str(missing.value))
    assert len(messages) == 3 and "damaged entry (Is a directory)" in messages
    for message in messages:
        assert str(tmp_path) not in message and "/srv/" not in message
