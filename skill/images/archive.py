"""Safe extraction of uploaded zip archives of product photos.

An uploaded zip is untrusted. Each entry is checked on its own, and a bad entry is refused with
a reason while the rest of the archive is still extracted:

- absolute paths, drive letters and ``..`` components (path traversal, "zip slip") are refused;
- symbolic links are refused (they could point anywhere on the machine);
- only photos and label CSVs are kept; hidden files and macOS ``__MACOSX`` metadata are skipped;
- at most ``max_files`` files and ``max_total_bytes`` bytes are written. Sizes are counted
  while decompressing, not read from the (forgeable) zip headers, so a zip bomb stops at the
  limit.

Example:
    >>> report = extract_zip("upload.zip", "data/uploads/spring")
    >>> report.extracted, report.refused        # paths written; (entry, reason) pairs
"""

from __future__ import annotations

import io
import os
import stat
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
    """

    max_files: int = 50_000
    max_total_bytes: int = 4 * 1024**3
    max_file_bytes: int = 50 * 1024**2


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
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ArchiveError(f"not a readable zip archive ({error})") from None
    root = Path(destination).resolve()
    root.mkdir(parents=True, exist_ok=True)
    report = ExtractReport()
    written_bytes = 0
    seen: set[str] = set()
    with archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir():
                continue
            reason = _refusal(info, extensions)
            if reason is None and name.replace("\\", "/") in seen:
                reason = "duplicate entry refused"
            if reason is None and len(report.extracted) >= limits.max_files:
                reason = f"archive limit of {limits.max_files:,} files reached"
            if reason is None:
                target = root.joinpath(*PurePosixPath(name.replace("\\", "/")).parts)
                if not target.resolve().is_relative_to(root):
                    reason = "path escapes the folder"
            if reason is not None:
                report.refused.append((name, reason))
                continue
            budget = min(limits.max_file_bytes, limits.max_total_bytes - written_bytes)
            try:
                size = _copy_entry(archive, info, target, budget)
            except _TooLarge:
                if budget < limits.max_file_bytes:
                    why = f"archive limit of {limits.max_total_bytes:,} bytes reached"
                else:
                    why = f"file larger than {limits.max_file_bytes:,} bytes"
                report.refused.append((name, why))
                continue
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
                report.refused.append((name, f"damaged entry ({error})"))
                continue
            written_bytes += size
            seen.add(name.replace("\\", "/"))
            report.extracted.append(target)
    return report


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
