"""Crash safety: kill the indexer with a real SIGKILL, then check nothing was lost.

The indexer runs as ``python -m skill index`` in a subprocess with a small cache part size. Once
the cache holds a new part, the process gets SIGKILL. The previous catalog must still open
unchanged, and the next run must reuse every embedding that reached the cache.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.projection import MapConfig
from skill.catalog.store import open_catalog
from skill.cli import main
from skill.encoders.cache import EmbeddingCache
from skill.paths import PROJECT_DIR
from tests.shapes import save_tiny_encoder, write_shapes

ROOT = PROJECT_DIR
CONFIG = CatalogConfig(part_size=4, batch_size=4, map=MapConfig(method="pca"))


def _parts(catalog: Path) -> list[Path]:
    """The encoder's cache parts (the attribute model fills its own cache beside it)."""
    return sorted((catalog / "cache").glob("tiny-random*/part-*.npz"))


@pytest.mark.slow
def test_sigkill_mid_index_keeps_the_old_catalog_and_resumes(tmp_path, capsys):
    photos, catalog = tmp_path / "photos", tmp_path / "cat"
    encoder = save_tiny_encoder(tmp_path / "tiny-random")
    write_shapes(photos, copies=1, csv_name=None)  # 16 photos: the catalog before the crash
    build_catalog(photos, catalog, encoders=[str(encoder)], config=CONFIG)
    before = open_catalog(catalog)
    before_items = before.items.copy()
    before_vectors = before.embeddings("tiny-random").copy()
    parts_before = len(_parts(catalog))

    # 48 new photos beside the old ones (rewriting an old file would change its fingerprint).
    write_shapes(photos / "more", copies=3, csv_name=None)
    command = [
        sys.executable, "-m", "skill", "index", "--images", str(photos), "--catalog",
        str(catalog), "--encoder", str(encoder), "--map", "pca", "--part-size", "4",
        "--batch-size", "4",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 900
        while len(_parts(catalog)) <= parts_before:
            assert process.poll() is None, "the indexer ended before writing a part"
            assert time.monotonic() < deadline, "the indexer wrote no part in 900 s"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        returncode = process.wait(timeout=60)
    assert returncode == -signal.SIGKILL
    assert (catalog / "LOCK").exists()  # the killed build's lock file stays behind
    saved_parts = len(_parts(catalog)) - parts_before
    assert 1 <= saved_parts < 12  # killed part-way through the 12 new parts

    # The previous catalog still opens, unchanged.
    after_crash = open_catalog(catalog)
    assert after_crash.version == before.version
    assert after_crash.items.equals(before_items)
    np.testing.assert_array_equal(after_crash.embeddings("tiny-random"), before_vectors)
    assert after_crash.index("tiny-random").ntotal == 16

    # The next run embeds only what the killed run had not saved.
    code = main(
        ["index", "--images", str(photos), "--catalog", str(catalog), "--encoder", str(encoder),
         "--map", "pca", "--part-size", "4"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    recovered = "recovered the lock of a build that did not finish: index 'photos' into 'cat'"
    assert f"{recovered} (add) (pid {process.pid} " in out
    embedded, reused = map(int, re.search(r"(\d+) embedded, (\d+) reused", out).groups())
    assert reused >= 16 + 4 * saved_parts
    assert embedded == 64 - reused and embedded < 48
    resumed = open_catalog(catalog)
    assert len(resumed.items) == 64 and resumed.index("tiny-random").ntotal == 64
    assert not list(catalog.glob(".v-*.tmp"))  # torn version folders are cleaned up


def test_torn_and_foreign_cache_parts_are_ignored(tmp_path):
    cache = EmbeddingCache(tmp_path, dim=4)
    cache.put(["a", "b"], np.eye(4, dtype=np.float32)[:2])
    (tmp_path / "part-000007.npz").write_bytes(b"PK\x03\x04 torn write")
    (tmp_path / ".part-000008.tmp.npz").write_bytes(b"half")
    np.savez(tmp_path / "part-000009.npz", keys=np.asarray(["c"]), vectors=np.ones((1, 3)))
    reopened = EmbeddingCache(tmp_path, dim=4)
    assert len(reopened) == 2 and "a" in reopened and "c" not in reopened
    np.testing.assert_array_equal(reopened.get(["b", "a"]), np.eye(4, dtype=np.float32)[[1, 0]])
    reopened.put(["d"], np.ones((1, 4)))  # numbering goes on after the torn part
    assert (tmp_path / "part-000010.npz").is_file()


def test_a_torn_version_folder_does_not_break_open_or_rebuild(tmp_path):
    photos, catalog = tmp_path / "photos", tmp_path / "cat"
    encoder = save_tiny_encoder(tmp_path / "tiny-random")
    write_shapes(photos, shapes=("circle", "square"), csv_name=None)
    build_catalog(photos, catalog, encoders=[str(encoder)], config=CONFIG)
    live = open_catalog(catalog).version
    (catalog / ".v-crashed.tmp" / "tiny-random").mkdir(parents=True)  # killed while writing
    (catalog / ".CURRENT.tmp").write_text("v-does-not-exist\n")  # killed before the rename
    assert open_catalog(catalog).version == live
    summary = build_catalog(photos, catalog, encoders=[str(encoder)], config=CONFIG)
    assert summary.embedded == {"tiny-random": 0} and summary.reused == {"tiny-random": 8}
    assert not (catalog / ".v-crashed.tmp").exists()
    assert len(open_catalog(catalog).items) == 8
