"""Tests of skill.encoders.cache's shards: the Ray engine's files, read by the local cache."""

import numpy as np

from skill.encoders.cache import EmbeddingCache, cache_files, write_shard


def test_shards_are_read_beside_parts_and_leave_part_numbering_alone(tmp_path):
    cache = EmbeddingCache(tmp_path, dim=4)
    cache.put(["a"], np.eye(4, dtype=np.float32)[:1])
    write_shard(
        tmp_path, "x1", ["b", "c"], np.eye(4, dtype=np.float32)[1:3], color_hex=["#1", "#2"]
    )
    write_shard(tmp_path, "x1", ["b", "c"], np.eye(4, dtype=np.float32)[1:3])  # a retry: same file
    assert [p.name for p in cache_files(tmp_path)] == ["part-000000.npz", "shard-x1.npz"]
    assert not list(tmp_path.glob(".*tmp*"))
    reopened = EmbeddingCache(tmp_path, dim=4)
    np.testing.assert_array_equal(reopened.get(["c", "a", "b"]), np.eye(4)[[2, 0, 1]])
    reopened.put(["d"], np.ones((1, 4)))
    assert (tmp_path / "part-000001.npz").is_file()


def test_refresh_reads_only_the_files_written_since(tmp_path):
    cache = EmbeddingCache(tmp_path, dim=4)
    cache.put(["a"], np.eye(4, dtype=np.float32)[:1])
    assert cache.refresh() == 0  # its own part is read already
    write_shard(tmp_path, "s1", ["b", "c"], np.eye(4, dtype=np.float32)[1:3])  # another process
    (tmp_path / "shard-torn.npz").write_bytes(b"not a zip")
    assert "b" not in cache and cache.refresh() == 2
    np.testing.assert_array_equal(cache.get(["a", "b", "c"]), np.eye(4)[:3])
    assert cache.refresh() == 0
    write_shard(tmp_path, "torn", ["d"], np.ones((1, 4), np.float32))  # the torn file, rewritten
    assert cache.refresh() == 1 and "d" in cache
