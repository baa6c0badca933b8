"""One writer per catalog (skill.catalog.lock), checked with real second processes.

- a process holding the lock makes a second build stop with a message naming it, or wait;
- the lock of a process killed with SIGKILL, and a lock file naming a dead pid, are recovered;
- a build removes only its own staging folder and torn ones of dead processes;
- two real ``python -m skill index`` runs on one catalog: nothing lost, no crash.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.lock import LOCK_FILE, CatalogBusyError, catalog_lock, read_lock
from skill.catalog.projection import MapConfig
from skill.catalog.store import open_catalog
from skill.paths import PROJECT_DIR
from tests.shapes import dead_pid as _dead_pid
from tests.shapes import hold_catalog_lock, write_shapes

CONFIG = CatalogConfig(map=MapConfig(method="pca"))
_hold = hold_catalog_lock


def test_a_second_build_stops_with_a_message_naming_the_running_one(tmp_path, tiny_encoder_dir):
    photos, catalog = tmp_path / "photos", tmp_path / "cat"
    write_shapes(photos, shapes=("circle",), csv_name=None)
    holder = _hold(catalog, 120)
    try:
        running = read_lock(catalog)
        assert running is not None and running.pid == holder.pid
        assert running.host == socket.gethostname()
        with pytest.raises(CatalogBusyError, match=f"pid {holder.pid}") as caught:
            build_catalog(photos, catalog, encoders=[str(tiny_encoder_dir)], config=CONFIG)
        assert "index 'holder-photos' into 'cat' (add)" in str(caught.value)
        assert str(caught.value).startswith("catalog 'cat' is being built by")
        assert str(tmp_path) not in str(caught.value)  # the app shows it: no server path
        assert caught.value.holder.pid == holder.pid
        assert not list(catalog.glob("v-*"))  # nothing written
        start = time.monotonic()
        with (
            pytest.raises(CatalogBusyError, match="waited 1 s"),
            catalog_lock(catalog, "third", wait=1.0, poll=0.1),
        ):
            pass
        assert time.monotonic() - start >= 1.0
    finally:
        holder.kill()
        holder.wait()


def test_a_build_waits_for_the_running_one(tmp_path):
    holder = _hold(tmp_path / "cat", 1.5)
    start = time.monotonic()
    with catalog_lock(tmp_path / "cat", "second", wait=60, poll=0.05) as mine:
        assert time.monotonic() - start > 0.5
        assert read_lock(tmp_path / "cat").pid == os.getpid() == mine.pid
        assert mine.recovered == ""  # released properly, not recovered
    assert holder.wait(timeout=60) == 0
    assert not (tmp_path / "cat" / LOCK_FILE).exists() and read_lock(tmp_path / "cat") is None


def test_the_lock_of_a_killed_build_is_recovered(tmp_path):
    holder = _hold(tmp_path / "cat", 120)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (tmp_path / "cat" / LOCK_FILE).exists()  # left behind by kill -9
    assert read_lock(tmp_path / "cat") is None
    with catalog_lock(tmp_path / "cat", "next") as mine:
        assert f"pid {holder.pid}" in mine.recovered


def test_a_stale_lock_file_of_a_dead_pid_is_recovered(tmp_path, tiny_encoder_dir):
    photos, catalog = tmp_path / "photos", tmp_path / "cat"
    write_shapes(photos, shapes=("circle",), csv_name=None)
    catalog.mkdir()
    dead = _dead_pid()
    stale = {"pid": dead, "host": socket.gethostname(), "started": "2026-01-01T00:00:00+00:00",
             "description": "index old into cat (add)"}  # fmt: skip
    (catalog / LOCK_FILE).write_text(json.dumps(stale))
    assert read_lock(catalog) is None
    summary = build_catalog(photos, catalog, encoders=[str(tiny_encoder_dir)], config=CONFIG)
    assert f"pid {dead}" in summary.recovered_lock and summary.items == 4
    assert not (catalog / LOCK_FILE).exists()


def test_a_build_cleans_only_its_own_staging_folder(tmp_path, tiny_encoder_dir):
    photos, catalog = tmp_path / "photos", tmp_path / "cat"
    write_shapes(photos, shapes=("circle",), csv_name=None)
    build_catalog(photos, catalog, encoders=[str(tiny_encoder_dir)], config=CONFIG)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        alive = catalog / f".v-20260101T000000000000-{other.pid}.tmp"
        torn = catalog / f".v-20260101T000000000000-{_dead_pid()}.tmp"
        (alive / "enc").mkdir(parents=True)
        (torn / "enc").mkdir(parents=True)
        build_catalog(photos, catalog, encoders=[str(tiny_encoder_dir)], config=CONFIG)
        assert alive.is_dir() and not torn.exists()
    finally:
        other.kill()
        other.wait()


@pytest.mark.slow
def test_two_real_builds_of_one_catalog_lose_nothing(tmp_path, tiny_encoder_dir):
    catalog = tmp_path / "cat"
    one, two = tmp_path / "one", tmp_path / "two"
    write_shapes(one, copies=6, csv_name=None)  # 96 photos
    write_shapes(two, fills=("Red",), csv_name=None)
    for path in two.glob("*.jpg"):
        path.rename(two / f"two-{path.name}")

    def index(images, *flags):
        command = [
            sys.executable, "-m", "skill", "index", "--images", str(images), "--catalog",
            str(catalog), "--encoder", str(tiny_encoder_dir), "--map", "pca", "--batch-size",
            "2", "--part-size", "4", *flags,
        ]  # fmt: skip
        return subprocess.Popen(
            command, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    first = index(one)
    deadline = time.monotonic() + 300
    while (read_lock(catalog) or None) is None or read_lock(catalog).pid != first.pid:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    stopped = index(two)  # stops at once, naming the running build
    _, err = stopped.communicate(timeout=300)
    waiting = index(two, "--wait", "600")
    out_first, err_first = first.communicate(timeout=600)
    out_waiting, err_waiting = waiting.communicate(timeout=600)
    if stopped.returncode == 2:  # the first build was still running: the usual case
        assert f"pid {first.pid}" in err and "--wait SECONDS" in err
    else:  # it started after the first had finished
        assert stopped.returncode == 0, err
    assert first.returncode == 0, err_first
    assert waiting.returncode == 0, err_waiting
    final = open_catalog(catalog)
    assert len(final.items) == 96 + 4 and final.items["item_id"].is_unique
    assert [s.images_dir for s in final.sources] == [one.resolve(), two.resolve()]
    assert not list(catalog.glob(".v-*.tmp")) and not (catalog / LOCK_FILE).exists()
