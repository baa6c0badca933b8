"""One writer per catalog: the ``LOCK`` file a build holds while it writes.

A build takes the lock before it reads the live version and releases it after ``CURRENT``
points at its new version, so two builds of one catalog never interleave: the second one stops
with a message naming the running build, or waits for it (``wait`` seconds). Readers (search,
the app) never take the lock; they see the old version or the new one (:mod:`pointer`).

The lock is an operating-system lock on ``<catalog>/LOCK`` (``flock`` on Linux and macOS,
``msvcrt.locking`` on Windows), so the kernel releases it when its process ends in any way,
``kill -9`` included: the lock of a dead process is recovered by the next build without a
timeout or a clean-up step. The file also holds who holds the lock (process id, host, start
time, what it builds) for the message a second build shows. It works on one machine; on a
network file system it is as good as that file system's locks.

Example:
    >>> with catalog_lock("catalogs/shop", "index 'spring' into 'shop' (add)", wait=60):
    ...     ...  # build
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from skill.catalog.store import CatalogError

LOCK_FILE = "LOCK"


class CatalogBusyError(CatalogError):
    """Another build holds the catalog's lock; :attr:`holder` says which.

    Attributes:
        holder: The running build, or ``None`` when its lock file could not be read yet.
    """

    def __init__(self, message: str, holder: LockHolder | None) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) a catalog's lock.

    Attributes:
        pid: Process id of the build.
        host: Host name of the machine it runs on.
        started: ISO time the build took the lock (UTC).
        description: What it builds, e.g. ``index 'spring' into 'shop' (add)``.
        recovered: For the build that took the lock: the lock it found left by a build that
            died without releasing it (``kill -9``, a crash), described; else empty.
    """

    pid: int
    host: str
    started: str
    description: str
    recovered: str = ""

    def describe(self) -> str:
        """One line for messages: what runs, where and since when."""
        return f"{self.description} (pid {self.pid} on {self.host}, since {self.started})"


def read_lock(catalog_dir: str | os.PathLike) -> LockHolder | None:
    """The build that holds the catalog's lock now, or ``None`` when no build runs.

    For the app ("a build of this catalog is running: ..."). It only reads the file, so asking
    never gets in a build's way; a lock left by a dead process on this host gives ``None``.
    """
    holder = _parse(Path(catalog_dir) / LOCK_FILE)
    if holder is None or (holder.host == socket.gethostname() and not pid_alive(holder.pid)):
        return None
    return holder


def pid_alive(pid: int) -> bool:
    """Says whether a process with this id runs on this machine."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl-C there; assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists, under another user
    return True


@contextmanager
def catalog_lock(
    catalog_dir: str | os.PathLike, description: str, wait: float = 0.0, poll: float = 0.2
) -> Iterator[LockHolder]:
    """Holds the catalog's lock for the duration of the ``with`` block.

    Args:
        catalog_dir: The catalog folder (created if missing).
        description: What the build does, shown to a second build.
        wait: Seconds to wait for a running build to finish. 0 stops at once; typical 0-3600.
        poll: Seconds between attempts while waiting.

    Yields:
        This build's :class:`LockHolder`.

    Raises:
        CatalogBusyError: Another build still holds the lock after ``wait`` seconds.
    """
    folder = Path(catalog_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        handle = _acquire(path)
        if handle is not None:
            break
        if time.monotonic() >= deadline:
            holder = _parse(path)
            running = holder.describe() if holder else "another build (starting)"
            hint = f"waited {wait:g} s; " if wait > 0 else ""
            raise CatalogBusyError(
                f"catalog {folder.name!r} is being built by {running}; {hint}let it finish, "
                "then build again",
                holder,
            )
        time.sleep(poll)
    # A released lock is unlinked, so content in the file just locked was left by a build
    # that died holding it.
    left = _parse(path)
    holder = LockHolder(
        pid=os.getpid(),
        host=socket.gethostname(),
        started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        description=description,
        recovered=left.describe() if left else "",
    )
    try:
        os.ftruncate(handle, 0)
        os.lseek(handle, 0, os.SEEK_SET)
        record = {k: v for k, v in asdict(holder).items() if k != "recovered"}
        os.write(handle, (json.dumps(record) + "\n").encode())
        yield holder
    finally:
        # Unlink while still holding the lock: a build waiting on this file notices (inode
        # check in _acquire) and takes the lock on a fresh file instead.
        with suppress(OSError):
            path.unlink()
        _unlock(handle)
        os.close(handle)


def _acquire(path: Path) -> int | None:
    """An open, locked handle on ``path``, or ``None`` when another process holds it."""
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(handle):
            os.close(handle)
            return None
        try:
            same = os.fstat(handle).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return handle
        _unlock(handle)  # the holder released and unlinked this file meanwhile: try again
        os.close(handle)


def _parse(path: Path) -> LockHolder | None:
    try:
        data = json.loads(path.read_text())
        return LockHolder(
            pid=int(data["pid"]),
            host=str(data["host"]),
            started=str(data["started"]),
            description=str(data["description"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


try:
    import fcntl

    def _try_lock(handle: int) -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle: int) -> None:
        fcntl.flock(handle, fcntl.LOCK_UN)

except ImportError:  # Windows
    import msvcrt

    def _try_lock(handle: int) -> bool:
        os.lseek(handle, 0, os.SEEK_SET)
        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: int) -> None:
        os.lseek(handle, 0, os.SEEK_SET)
        msvcrt.locking(handle, msvcrt.LK_UNLCK, 1)
