"""Safe extraction of uploaded zip archives of product photos.

An uploaded zip is untrusted. Each entry is checked on its own, and a bad entry is refused with
a reason while the rest of the archive is still extracted:

- absolute paths, drive letters and ``..`` components (path traversal, "zip slip") are refused;
- symbolic links are refused (they could point anywhere on the machine);
- only photos and label CSVs are kept; hidden files and macOS ``__MACOSX`` metadata are skipped;
- two entries whose names normalise to one path (``a.jpg`` and ``./A.JPG``, composed and
  decomposed accents, a file where another entry has a folder) are refused after the first;
- at most ``max_files`` files and ``max_total_bytes`` bytes are written, and no more than
  ``max_ratio`` times the archive's own size (a photo does not compress; a zip bomb does).
  Sizes are counted while decompressing, not read from the (forgeable) zip headers, so a bomb
  stops at the limit;
- after ``max_refused`` refused entries the rest of the archive is not read.

Messages name entries by their name in the archive, never by where they would be written on
the server.

Example:
    >>> report = extract_zip("upload.zip", "data/uploads/spring")
    >>> report.extracted, report.refused        # paths written; (entry, reason) pairs
"""

from __future__ import annotations

import io
import os
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from skill.images.decode import IMAGE_EXTENSIONS

KEPT_EXTENSIONS = (*IMAGE_EXTENSIONS, ".csv")
"""File types kept from an archive: photos and label CSVs."""


class ArchiveError(ValueError):
    """The whole archive is unusable (not a zip, or damaged); the message says why."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits on what one archive may write.

    Attributes:
        max_files: Files extracted at most. Typical 1,000-100,000.
        max_total_bytes: Bytes written at most, all files together. Typical 0.5-10 GB.
        max_file_bytes: Largest single file. Typical 10-100 MB (photos are far smaller).
        max_ratio: Bytes written at most per byte of archive (above ``ratio_floor_bytes``).
            JPEG and PNG photos do not compress (ratio ~1), CSVs 5-10x; zeros 1000x.
            Typical 20-100.
        ratio_floor_bytes: What any archive may write whatever its size (a small zip with a
            large CSV). Typical 16-64 MB.
        max_refused: Refused entries after which the rest of the archive is not read.
            Typical 100-10,000.
    """

    max_files: int = 50_000
    max_total_bytes: int = 2 * 1024**3
    max_file_bytes: int = 50 * 1024**2
    max_ratio: float = 50.0
    ratio_floor_bytes: int = 32 * 1024**2
    max_refused: int = 1_000

    def total_budget(self, archive_bytes: int) -> int:
        """Bytes an archive of ``archive_bytes`` may write in all."""
        by_ratio = max(int(self.max_ratio * archive_bytes), self.ratio_floor_bytes)
        return min(self.max_total_bytes, by_ratio)


@dataclass
class ExtractReport:
    """What :func:`extract_zip` did.

    Attributes:
        extracted: Files written, as paths under the destination.
        refused: ``(entry name, reason)`` for every entry left out.
    """

    extracted: list[Path] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.extracted)


def check_entry_name(name: str) -> str | None:
    """Why an entry name is unsafe, or ``None`` when it is a safe relative path.

    Args:
        name: The name stored in the archive (``/`` or ``\\`` separated).
    """
    unified = name.replace("\\", "/")
    if not unified or unified.startswith("/"):
        return "absolute path refused"
    first = unified.split("/", 1)[0]
    if len(first) >= 2 and first[1] == ":":
        return "absolute (drive) path refused"
    parts = PurePosixPath(unified).parts
    if ".." in parts:
        return "path with '..' refused (it would escape the folder)"
    if "\x00" in unified:
        return "name with a NUL byte refused"
    return None


def extract_zip(
    source: str | os.PathLike | bytes | BinaryIO,
    destination: str | os.PathLike,
    limits: ArchiveLimits = ArchiveLimits(),
    extensions: tuple[str, ...] = KEPT_EXTENSIONS,
) -> ExtractReport:
    """Extracts the photos and CSVs of a zip archive, entry by entry, refusing unsafe entries.

    Args:
        source: Path, bytes or binary file object of the zip.
        destination: Folder to extract into (created).
        limits: File count and size limits.
        extensions: Lower-case file endings kept; other files are refused with a reason.

    Returns:
        An :class:`ExtractReport`.

    Raises:
        ArchiveError: The source is not a readable zip archive.
    """
    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    try:
        archive = zipfile.ZipFile(source)
        archive_bytes = _size_of(archive)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ArchiveError(f"not a readable zip archive ({_plain(error)})") from None
    budget_total = limits.total_budget(archive_bytes)
    root = Path(destination).resolve()
    root.mkdir(parents=True, exist_ok=True)
    report = ExtractReport()
    written_bytes = 0
    files: set[str] = set()  # normalised paths written
    folders: set[str] = set()  # their parent folders
    with archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir():
                continue
            if len(report.refused) >= limits.max_refused:
                report.refused.append(
                    ("…", f"stopped after {limits.max_refused:,} refused entries; the rest of "
                     "the archive was not read")
                )  # fmt: skip
                break
            reason = _refusal(info, extensions)
            key = _normalised(name) if reason is None else ""
            if reason is None:
                reason = _collision(key, files, folders)
            if reason is None and len(report.extracted) >= limits.max_files:
                reason = f"archive limit of {limits.max_files:,} files reached"
            if reason is None:
                target = root.joinpath(*PurePosixPath(name.replace("\\", "/")).parts)
                if not target.resolve().is_relative_to(root):
                    reason = "path escapes the folder"
            if reason is not None:
                report.refused.append((name, reason))
                continue
            budget = min(limits.max_file_bytes, budget_total - written_bytes)
            try:
                size = _copy_entry(archive, info, target, budget)
            except _TooLarge:
                if budget >= limits.max_file_bytes:
                    why = f"file larger than {limits.max_file_bytes:,} bytes"
                elif budget_total < limits.max_total_bytes:
                    why = (
                        f"archive limit of {budget_total:,} bytes reached ({limits.max_ratio:g}x "
                        "the archive's size: it decompresses far more than photos do)"
                    )
                else:
                    why = f"archive limit of {limits.max_total_bytes:,} bytes reached"
                report.refused.append((name, why))
                continue
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
                report.refused.append((name, f"damaged entry ({_plain(error)})"))
                continue
            written_bytes += size
            files.add(key)
            folders.update(_parents(key))
            report.extracted.append(target)
    return report


def _normalised(name: str) -> str:
    """The path an entry name lands on, as file systems may see it: separators unified, '.'
    dropped, Unicode composed (NFC) and case folded (macOS and Windows ignore case)."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return unicodedata.normalize("NFC", "/".join(parts)).casefold()


def _parents(key: str) -> list[str]:
    parts = key.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _collision(key: str, files: set[str], folders: set[str]) -> str | None:
    if key in files:
        return "duplicate entry refused (its name normalises to an earlier entry's path)"
    if key in folders:
        return "refused: an earlier entry has a folder of this name"
    if any(parent in files for parent in _parents(key)):
        return "refused: an earlier entry is a file where this one needs a folder"
    return None


def _size_of(archive: zipfile.ZipFile) -> int:
    """Bytes of the archive file itself (what was uploaded)."""
    handle = archive.fp
    position = handle.tell()
    size = handle.seek(0, io.SEEK_END)
    handle.seek(position)
    return size


def _plain(error: BaseException) -> str:
    """An error's text without file paths: an OSError says only what went wrong."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


class _TooLarge(Exception):
    pass


def _refusal(info: zipfile.ZipInfo, extensions: tuple[str, ...]) -> str | None:
    name = info.filename
    unsafe = check_entry_name(name)
    if unsafe:
        return unsafe
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link refused"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts:
        return "empty entry name refused"
    if parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts):
        return "hidden or system file skipped"
    if not name.lower().endswith(extensions):
        return f"not a photo or CSV (kept: {', '.join(extensions)})"
    if info.flag_bits & 0x1:
        return "encrypted entry refused"
    return None


def _copy_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int) -> int:
    """Streams one entry to disk, stopping as soon as it exceeds ``budget`` bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    written = 0
    try:
        with archive.open(info) as reader, open(partial, "wb") as writer:
            while chunk := reader.read(1 << 20):
                written += len(chunk)
                if written > budget:
                    raise _TooLarge
                writer.write(chunk)
        os.replace(partial, target)
    finally:
        if partial.exists():
            partial.unlink()
    return written
