"""App speed: start-up time and one-photo search latency on the demo catalog. Prints figures.

Start-up is measured two ways, each in a fresh process:

- server: launch ``streamlit run app.py --server.headless true`` on a free port and time until
  ``/_stcore/health`` answers, then until the page HTML (``/``) answers;
- first run: ``AppTest.from_file("app.py").run()`` (imports + the whole first script run on
  the default catalog), timed inside the child process.

- where it goes: a fresh process times, one after the other, the interpreter, each import the
  first page needs, opening the default catalog, and the first script run (AppTest) on top;
- interactive page: a headless Chromium opens the served page and waits for the tab bar, from
  server launch (``--browser``).

Search latency is what one uploaded photo costs the app: decode + embed (``embed_images``) +
grouped search (``search_catalog``), with the encoder already loaded (it is cached in the app)
and the runtime the app uses (``auto``: ONNX Runtime where installed),
over catalog photos used as uploads (their bytes).

Usage:
    nice -n 10 python benchmarks/bench_app.py                 # demo catalog
    nice -n 10 python benchmarks/bench_app.py --catalog data/catalogs/spring --queries 50
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_RUN = """
import time
start = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=300)
at.run()
assert not at.exception, at.exception
print(time.perf_counter() - start)
"""


BREAKDOWN = """
import sys, time
stages = []
mark = time.perf_counter()
def stage(name):
    global mark
    now = time.perf_counter()
    stages.append((name, now - mark))
    mark = now
import numpy, pandas
stage("import numpy + pandas")
import streamlit
stage("import streamlit")
import faiss
stage("import faiss")
import plotly.graph_objects
stage("import plotly")
sys.path.insert(0, {root!r})
from skill.catalog.registry import demo_catalog_dir
from skill.catalog.store import open_catalog
stage("import skill (catalog, registry)")
catalog = open_catalog(demo_catalog_dir())
stage("open the demo catalog (items, manifest)")
catalog.embeddings(catalog.encoders[0]); catalog.index(catalog.encoders[0])
stage("load embeddings + faiss index")
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=300)
at.run()
assert not at.exception, at.exception
stage("first script run on top (AppTest, imports above already warm)")
print("torch imported by the first page:", "torch" in sys.modules)
for name, seconds in stages:
    print(f"{{name}}\t{{seconds:.2f}}")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip


def wait_ok(url: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def time_server_start(timeout: float = 120.0) -> tuple[float, float]:
    """Seconds until /_stcore/health answers, and until / answers."""
    port = free_port()
    command = server_command(port)
    start = time.monotonic()
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = start + timeout
        health = time.monotonic() - start if wait_ok(f"{base}/_stcore/health", deadline) else None
        page = time.monotonic() - start if wait_ok(base + "/", deadline) else None
    finally:
        server.kill()
        server.wait()
    return health, page


def time_breakdown() -> list[str]:
    """Lines ``stage<TAB>seconds`` from a fresh process (see :data:`BREAKDOWN`)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    interpreter = time.perf_counter() - start
    code = BREAKDOWN.format(root=str(ROOT), app=str(ROOT / "app.py"))
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [f"python interpreter start\t{interpreter:.2f}", *done.stdout.strip().splitlines()]


def time_interactive(timeout: float = 180.0) -> tuple[float, float]:
    """Seconds from server launch until the page's tab bar is in a headless Chromium's DOM,
    and of those, the browser's share (navigation to tabs)."""
    sys.path.insert(0, str(ROOT))
    from tests.ui.test_browser import chromium, wait_for

    port = free_port()
    command = server_command(port)
    driver = chromium()  # started before the clock: a user's browser is already open
    start = time.monotonic()
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_ok(f"http://127.0.0.1:{port}/_stcore/health", start + timeout)
        served = time.monotonic()
        driver.get(f"http://127.0.0.1:{port}/")
        wait_for(driver, '[role="tab"]', count=5, timeout=timeout)
        done = time.monotonic()
    finally:
        driver.quit()
        server.kill()
        server.wait()
    return done - start, done - served


def time_first_run() -> float:
    code = FIRST_RUN.format(app=str(ROOT / "app.py"))
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def time_searches(catalog_dir: Path, encoder_name: str | None, queries: int, seed: int):
    from skill.catalog.store import open_catalog
    from skill.encoders.embedding import embed_images
    from skill.encoders.registry import reopen_encoder
    from skill.search import SearchConfig, search_catalog

    catalog = open_catalog(catalog_dir)
    name = encoder_name or catalog.encoders[0]
    source = catalog.manifest["encoders"][name].get("source", "")
    encoder = reopen_encoder(name, source)
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(catalog.items), size=min(queries + 2, len(catalog.items)), replace=False)
    photos = [catalog.image_path(int(r)).read_bytes() for r in rows]
    timings = []
    for i, photo in enumerate(photos):
        start = time.perf_counter()
        result = embed_images(encoder, [photo], batch_size=8, runtime="auto")  # as the app
        search_catalog(catalog, name, result.embeddings, SearchConfig(k=12))
        if i >= 2:  # the first two warm up torch and faiss
            timings.append(time.perf_counter() - start)
    return name, len(catalog.items), np.asarray(timings)


def main() -> None:
    from skill.catalog.registry import demo_catalog_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", type=Path, default=None, help="default: the demo catalog")
    parser.add_argument("--encoder", default=None, help="default: every encoder of the catalog")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--browser", action="store_true", help="also time the interactive page")
    args = parser.parse_args()
    catalog_dir = args.catalog or demo_catalog_dir()
    print(f"machine: {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    if not args.skip_startup:
        health, page = time_server_start()
        print(f"start-up: /_stcore/health answered after {health:.2f} s, page HTML after "
              f"{page:.2f} s")  # fmt: skip
        print(f"start-up: AppTest first run (fresh process, imports included) "
              f"{time_first_run():.2f} s")  # fmt: skip
        print("start-up breakdown (fresh process, in order):")
        for line in time_breakdown():
            if "\t" in line:
                name, seconds = line.split("\t")
                print(f"  {name:<62}{float(seconds):>6.2f} s")
            else:
                print(f"  {line}")
        if args.browser:
            total, browser = time_interactive()
            print(f"start-up: interactive page (tab bar in headless Chromium) {total:.2f} s "
                  f"after launch, of which {browser:.2f} s in the browser")  # fmt: skip
    from skill.catalog.store import open_catalog

    encoders = [args.encoder] if args.encoder else open_catalog(catalog_dir).encoders
    for name in encoders:
        name, n, timings = time_searches(catalog_dir, name, args.queries, args.seed)
        print(
            f"search ({name}, {n:,} photos, one uploaded photo, embed + search, "
            f"{len(timings)} queries): p50 {np.percentile(timings, 50) * 1000:.0f} ms, "
            f"p95 {np.percentile(timings, 95) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
