"""A crash-safe store of computed embeddings, keyed by file fingerprint.

Indexing writes embeddings here in small parts as it goes, each part written to a temporary
name and renamed, so killing the indexer loses at most one part. The next run (or a re-index
after new photos arrive) reads the parts and embeds only images whose fingerprint (relative
path, size, modification time) is not stored yet.

One cache folder serves one encoder at one exact set of weights (its digest). Parallel writers
(the Ray engine's actors, :mod:`skill.catalog.ray_build`) add ``shard-<name>.npz`` files
instead (:func:`write_shard`), named by their content so that a retried batch rewrites the same
file; both engines read both kinds.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np


def fingerprint(path: str | os.PathLike, relative: str) -> str:
    """Identity of a file's current content: its relative path, size and mtime."""
    stat = Path(path).stat()
    return f"{relative}|{stat.st_size}|{stat.st_mtime_ns}"


def safe_name(name: str) -> str:
    """A file-system-safe form of an encoder name (``timm:x/y`` -> ``timm_x_y``)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


CACHE_FILES = ("part-*.npz", "shard-*.npz")


def cache_files(folder: str | os.PathLike) -> list[Path]:
    """The cache's part and shard files, in a stable order."""
    folder = Path(folder)
    return [path for pattern in CACHE_FILES for path in sorted(folder.glob(pattern))]


def write_shard(
    folder: str | os.PathLike, name: str, keys: list[str], vectors: np.ndarray, **extra
) -> Path:
    """Writes ``shard-<name>.npz`` atomically (temporary name, then rename).

    Args:
        folder: The cache folder (created if needed).
        name: The shard's name; the same name must mean the same content.
        keys: Fingerprints, one per row of ``vectors``.
        vectors: Shape (len(keys), dim).
        **extra: More arrays of ``len(keys)`` rows to store (colours).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"shard-{name}.npz"
    temporary = folder / f".shard-{name}.{os.getpid()}.tmp.npz"
    arrays = {key: np.asarray(value) for key, value in extra.items()}
    np.savez(temporary, keys=np.asarray(keys, dtype=str), vectors=np.asarray(vectors), **arrays)
    os.replace(temporary, final)
    return final


class EmbeddingCache:
    """Embeddings stored as ``part-NNNNNN.npz`` files (keys + vectors) in one folder.

    Args:
        folder: Where the parts live; created if needed.
        dim: Embedding size; parts of another size are ignored.
    """

    def __init__(self, folder: str | os.PathLike, dim: int) -> None:
        self.folder = Path(folder)
        self.dim = dim
        self.folder.mkdir(parents=True, exist_ok=True)
        self._vectors: dict[str, np.ndarray] = {}
        self._read: set[str] = set()
        self.refresh()

    def refresh(self) -> int:
        """Reads the part and shard files not read yet (written since by other processes: the
        Ray engine's actors); returns how many vectors were added."""
        before = len(self._vectors)
        for part in cache_files(self.folder):
            if part.name in self._read:
                continue
            try:
                with np.load(part, allow_pickle=False) as data:
                    keys, vectors = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                continue  # a torn or foreign file: its images are embedded again
            self._read.add(part.name)
            if vectors.ndim == 2 and vectors.shape[1] == self.dim and len(keys) == len(vectors):
                self._vectors.update(zip(keys.tolist(), vectors, strict=True))
        return len(self._vectors) - before

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, key: str) -> bool:
        return key in self._vectors

    def items(self):
        """``(key, vector)`` pairs of everything stored."""
        return self._vectors.items()

    def get(self, keys: list[str]) -> np.ndarray:
        """Stored vectors for ``keys`` (all must be present). Shape (len(keys), dim)."""
        if not keys:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._vectors[key] for key in keys]).astype(np.float32)

    def put(self, keys: list[str], vectors: np.ndarray) -> None:
        """Adds vectors and writes them as one new part, atomically."""
        if len(keys) == 0:
            return
        vectors = np.asarray(vectors, np.float32)
        existing = sorted(self.folder.glob("part-*.npz"))
        number = int(existing[-1].stem.split("-")[1]) + 1 if existing else 0
        final = self.folder / f"part-{number:06d}.npz"
        temporary = self.folder / f".part-{number:06d}.tmp.npz"
        np.savez(temporary, keys=np.asarray(keys, dtype=str), vectors=vectors)
        os.replace(temporary, final)
        self._read.add(final.name)
        self._vectors.update(zip(keys, vectors, strict=True))
