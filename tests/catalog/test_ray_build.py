"""Tests of skill.catalog.ray_build on a local Ray (2 CPUs): same catalog as the local engine,
a worker killed for real mid-run, and a failed run resumed from its shards.

Skips only where Ray is not installed (``pip install -r requirements-ray.txt``; CI installs it).
"""

import os
import re
import signal
import time
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from skill.catalog.build import CatalogConfig, build_catalog  # noqa: E402
from skill.catalog.projection import MapConfig  # noqa: E402
from skill.catalog.ray_build import RayConfig, build_catalog_ray, start_ray  # noqa: E402
from skill.catalog.store import open_catalog  # noqa: E402
from skill.cli import main  # noqa: E402
from skill.encoders.cache import cache_files  # noqa: E402
from skill.search import search_catalog  # noqa: E402
from tests.shapes import write_shapes  # noqa: E402

pytestmark = pytest.mark.slow  # a local Ray starts its actors in 10-30 s on 2 busy cores
CONFIG = CatalogConfig(batch_size=4, map=MapConfig(method="pca"), runtime="onnx")


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    start_ray(num_cpus=2, object_store_memory=100 * 2**20, include_dashboard=False)
    yield
    ray.shutdown()


@pytest.fixture
def photos(tmp_path):
    """16 shape photos (4 designs x 4 colours) with a CSV, and one corrupt photo listed in it."""
    folder = tmp_path / "photos"
    write_shapes(folder)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with open(folder / "catalog.csv", "a", encoding="utf-8") as handle:
        handle.write("broken,broken.jpg,broken,Red,angular,Broken\n")
    return folder


def _build_both(photos, tmp_path, encoder, ray_config):
    local = build_catalog(
        photos, tmp_path / "local", photos / "catalog.csv", encoders=[encoder], config=CONFIG
    )
    remote = build_catalog_ray(
        photos,
        tmp_path / "ray",
        photos / "catalog.csv",
        encoders=[encoder],
        config=CONFIG,
        ray_config=ray_config,
    )
    return local, remote, open_catalog(tmp_path / "local"), open_catalog(tmp_path / "ray")


def test_ray_build_writes_the_local_engines_catalog(photos, tmp_path, tiny_encoder_dir):
    local, remote, expected, got = _build_both(
        photos, tmp_path, str(tiny_encoder_dir), RayConfig(block_size=4, parquet_rows=1)
    )
    assert remote.items == local.items == 16
    assert remote.embedded == {"tiny-random": 16} and remote.reused == {"tiny-random": 0}
    assert got.skipped["image_path"].tolist() == ["broken.jpg"]
    assert got.skipped["reason"].tolist() == expected.skipped["reason"].tolist()
    assert (got.version / "items.parquet").is_file()  # parquet_rows=1: the large-catalog format
    assert got.items.equals(expected.items)  # same rows, order, colours and fingerprints
    xb, reference = got.embeddings("tiny-random"), expected.embeddings("tiny-random")
    np.testing.assert_allclose(xb, reference, atol=1e-4)
    assert got.manifest["engine"]["name"] == "ray"
    assert got.manifest["counts"] == expected.manifest["counts"]
    assert got.index("tiny-random").ntotal == 16
    for row in range(16):  # every photo as a query: the same hits, in the same order
        a = search_catalog(got, "tiny-random", np.asarray(xb[row : row + 1])).hits
        b = search_catalog(expected, "tiny-random", np.asarray(reference[row : row + 1])).hits
        assert a["item_id"].tolist() == b["item_id"].tolist()
    assert not list(tmp_path.glob("ray/.assembled-*"))  # moved into the version, not copied
    # The shipped attribute model runs in the actors, on their decode: same probabilities.
    ours, theirs = got.attributes, expected.attributes
    assert ours.info["predicted"] == theirs.info["predicted"] == 16
    assert ours.info["missing"] == 0 and ours.info["seconds"] > 0
    assert remote.attributes.startswith(f"attributes ({ours.name}): 16 photos predicted in ")
    np.testing.assert_allclose(
        ours.probabilities.astype(np.float32), theirs.probabilities.astype(np.float32), atol=2e-3
    )
    assert list(tmp_path.glob("ray/cache/attributes-*/shard-*.npz"))  # written by the actors


def test_a_worker_killed_mid_run_is_replaced_and_every_photo_indexed_once(
    photos, tmp_path, tiny_encoder_dir
):
    marker = tmp_path / "killed.pid"

    def kill_once(paths):  # pickled by value into the actor
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)  # the actor process dies here, for real

    _, remote, expected, got = _build_both(
        photos, tmp_path, str(tiny_encoder_dir), RayConfig(block_size=4, on_batch=kill_once)
    )
    killed = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(killed, 0)  # that process is gone
    assert remote.items == 16 and remote.embedded == {"tiny-random": 16}
    assert got.items["item_id"].is_unique and len(got.items) == 16
    assert set(got.items["item_id"]) == set(expected.items["item_id"])
    np.testing.assert_allclose(
        got.embeddings("tiny-random"), expected.embeddings("tiny-random"), atol=1e-4
    )
    stored = []  # across every shard written, each photo's fingerprint once
    for path in cache_files(next((tmp_path / "ray" / "cache").glob("tiny-random-*"))):
        with np.load(path) as data:
            stored += data["keys"].tolist()
    assert sorted(stored) == sorted(got.items["fingerprint"])


def test_a_failed_run_is_resumed_from_its_shards(photos, tmp_path, tiny_encoder_dir, capsys):
    encoder, catalog = str(tiny_encoder_dir), tmp_path / "ray"

    def fail_last_block(paths):
        if "triangle-yellow-0.jpg" in paths:  # the last block in row order
            cache = catalog / "cache"
            deadline = time.monotonic() + 120
            while len(list(cache.glob("tiny-random-*/shard-*.npz"))) < 2:
                assert time.monotonic() < deadline
                time.sleep(0.1)  # let two other blocks finish first
            raise RuntimeError("preempted")

    with pytest.raises(Exception, match="preempted"):
        build_catalog_ray(
            photos,
            catalog,
            photos / "catalog.csv",
            encoders=[encoder],
            config=CONFIG,
            ray_config=RayConfig(block_size=4, on_batch=fail_last_block),
        )
    assert not (catalog / "CURRENT").exists()  # nothing half-built became live
    code = main(
        ["index", "--images", str(photos), "--csv", str(photos / "catalog.csv"), "--catalog",
         str(catalog), "--encoder", encoder, "--map", "pca", "--runtime", "onnx",
         "--engine", "ray"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "16 photos indexed" in out
    embedded, reused = map(int, re.search(r"(\d+) embedded, (\d+) reused", out).groups())
    assert reused >= 8  # the blocks written before the failure
    assert embedded == 16 - reused
    resumed = open_catalog(catalog)
    assert resumed.manifest["engine"]["name"] == "ray"
    local = build_catalog(
        photos, tmp_path / "local", photos / "catalog.csv", encoders=[encoder], config=CONFIG
    )
    assert local.items == 16
    np.testing.assert_allclose(
        resumed.embeddings("tiny-random"),
        open_catalog(tmp_path / "local").embeddings("tiny-random"),
        atol=1e-4,
    )
    assert Path(resumed.version).name.startswith("v-")


def test_an_int8_ray_build_runs_the_int8_attribute_model_in_its_actors(
    photos, tmp_path, tiny_encoder_dir, attribute_model_dir
):
    from dataclasses import replace

    config = replace(CONFIG, runtime="onnx-int8", attributes=str(attribute_model_dir))
    local = build_catalog(photos, tmp_path / "local", photos / "catalog.csv",
                          encoders=[str(tiny_encoder_dir)], config=config)  # fmt: skip
    remote = build_catalog_ray(photos, tmp_path / "ray", photos / "catalog.csv",
                               encoders=[str(tiny_encoder_dir)], config=config,
                               ray_config=RayConfig(block_size=4))  # fmt: skip
    assert remote.items == local.items == 16
    ours, theirs = (
        open_catalog(tmp_path / "ray").attributes,
        open_catalog(tmp_path / "local").attributes,
    )
    assert ours.info["runtime"] == theirs.info["runtime"] == "onnx-int8"
    assert ours.info["predicted"] == 16 and ours.info["missing"] == 0
    (folder,) = (tmp_path / "ray" / "cache").glob("attributes-*")
    assert re.search(r"-int8-[0-9a-f]{8}$", folder.name) and list(
        folder.glob("shard-*.npz")
    )  # the actors'
    # Both engines calibrate on the same photos in the same order: the same int8 model.
    np.testing.assert_allclose(
        ours.probabilities.astype(np.float32), theirs.probabilities.astype(np.float32), atol=2e-3
    )
