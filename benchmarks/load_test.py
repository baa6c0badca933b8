"""Load test of the real app: many concurrent sessions against one Streamlit server.

Starts ``streamlit run app.py`` on a free loopback port over a small generated catalog, then
drives ``--clients`` sessions at once for ``--duration`` seconds. Each session speaks Streamlit's
own websocket protocol (``/_stcore/stream``, protobuf ``BackMsg`` / ``ForwardMsg``), exactly what
a browser tab sends: it opens the page, then searches one query after the other. Most sessions
switch the query to "Pick a catalog item" and pick random items; every ``--upload-every``-th
session instead uploads a catalog photo for each search, as a browser does (``file_urls_request``,
an HTTP ``PUT`` of the file to ``/_stcore/upload_file``, then the uploader's widget state). A
request is one script run, from the ``rerun_script`` message to ``script_finished``.

While they search, one catalog build runs beside the server (``python -m skill index``, as a
batch job would): ``--build-designs`` newly rendered designs are added as a new source of the
catalog the sessions search. The sessions keep searching until it has finished.

Errors counted: connection failures, uploads refused, runs that time out, runs that end with an
exception element on the page or a compile error, search runs that show no results, a build
that fails, and lost items (a row of the catalog before the build missing after it, or a row
count other than before + the build's additions). Reported: requests, searches and uploads,
errors, latency p50 / p95 / max, the server's peak resident memory (VmHWM) and the build's,
and the machine's load average.

Usage:
    python benchmarks/load_test.py --clients 20 --duration 60
    python benchmarks/load_test.py --data-dir data   # existing catalogs, copied first
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Stats:
    """What all clients saw."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    searches: int = 0
    uploads: int = 0
    build: dict = field(default_factory=dict)


def prepare_data(data_dir: Path, designs: int, encoder: str) -> None:
    """Renders demo photos and indexes them as the catalog ``loadtest`` under ``data_dir``."""
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig
    from skill.demo import DemoConfig, build_demo_catalog

    photos = data_dir / "photos"
    csv_path = build_demo_catalog(photos, DemoConfig(n_designs=designs), verbose=False)
    summary = build_catalog(
        photos,
        data_dir / "catalogs" / "loadtest",
        csv_path=csv_path,
        encoders=[encoder],
        config=CatalogConfig(map=MapConfig(method="pca")),
    )
    print(f"catalog: {summary.describe()}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, data_dir: Path, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "SKILL_DATA_DIR": str(data_dir)}
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the server did not answer in {timeout:.0f} s")


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


def new_photos(folder: Path, designs: int) -> Path:
    """Renders ``designs`` demo designs into ``folder`` with a labels CSV whose item and design
    ids start with ``load-`` (unique beside any catalog's), and returns the CSV."""
    from skill.demo import DemoConfig, build_demo_catalog

    rendered = build_demo_catalog(folder, DemoConfig(n_designs=designs, seed=7), verbose=False)
    with open(rendered, newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = folder / "load-labels.csv"
    with open(labels, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            for column in ("id", "item_id", "design_id", "product_code"):
                if column in row:
                    row[column] = f"load-{row[column]}"
            writer.writerow(row)
    return labels


async def run_build(catalog: Path, photos: Path, labels: Path, stats: Stats) -> None:
    """Adds ``photos`` to ``catalog`` with the CLI, beside the server; checks nothing is lost."""
    from skill.catalog.store import open_catalog

    before = open_catalog(catalog)
    ids_before = set(before.items["item_id"])
    command = [
        sys.executable, "-m", "skill", "index", "--images", str(photos), "--csv", str(labels),
        "--catalog", str(catalog), "--encoder", before.encoders[0], "--map", "pca",
        "--wait", "600",
    ]  # fmt: skip
    start = time.monotonic()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = await asyncio.to_thread(os.wait4, process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    out, err = process.stdout.read(), process.stderr.read()
    after = open_catalog(catalog)
    added = len(after.items) - len(before.items)
    lost = sorted(ids_before - set(after.items["item_id"]))
    stats.build = {
        "seconds": round(time.monotonic() - start, 1),
        "exit_code": process.returncode,
        "rows_before": len(before.items),
        "rows_after": len(after.items),
        "rows_added": added,
        "rows_lost": len(lost),
        "encoders": len(after.encoders),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "summary": (out.strip().splitlines() or [""])[-1][:300],
    }
    if process.returncode != 0:
        stats.errors.append(f"build failed ({process.returncode}): {err.strip()[-300:]}")
    if lost:
        stats.errors.append(f"build lost {len(lost)} rows, e.g. {lost[:3]}")
    expected = len(list(csv.DictReader(open(labels))))  # noqa: SIM115 - read once
    if process.returncode == 0 and added != expected:
        stats.errors.append(f"build added {added} rows, expected {expected}")


class Session:
    """One browser tab, speaking Streamlit's websocket protocol."""

    def __init__(self, port: int, run_timeout: float) -> None:
        self.port = port
        self.url = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.run_timeout = run_timeout
        self.widgets: dict[str, object] = {}  # label -> element proto of the last run
        self.state: dict[str, object] = {}  # widget id -> string value or uploader state
        self.session_id = ""

    async def __aenter__(self) -> Session:
        import websockets

        self.socket = await websockets.connect(
            self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self.socket.close()

    async def run(self) -> tuple[float, list[str], list[str]]:
        """One script run with the current widget state.

        Returns:
            ``(seconds, problems, markdown texts shown)``.
        """
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        back = BackMsg()
        for widget_id, value in self.state.items():
            widget = back.rerun_script.widget_states.widgets.add()
            widget.id = widget_id
            if isinstance(value, str):
                widget.string_value = value
            else:
                widget.file_uploader_state_value.CopyFrom(value)
        back.rerun_script.query_string = ""
        start = time.perf_counter()
        await self.socket.send(back.SerializeToString())
        problems, texts, widgets = [], [], {}
        while True:
            raw = await asyncio.wait_for(self.socket.recv(), self.run_timeout)
            message = ForwardMsg()
            message.ParseFromString(raw)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.session_id = message.new_session.initialize.session_id or self.session_id
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                element_kind = element.WhichOneof("type")
                if element_kind == "exception":
                    problems.append(f"exception: {element.exception.message[:200]}")
                elif element_kind == "alert" and element.alert.format == 1:  # ERROR
                    problems.append(f"error shown: {element.alert.body[:200]}")
                elif element_kind == "markdown":
                    texts.append(element.markdown.body)
                elif element_kind in ("radio", "selectbox", "file_uploader"):
                    proto = getattr(element, element_kind)
                    widgets[proto.label] = proto
            elif kind == "script_finished":
                status = message.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the app called st.rerun(); the run goes on
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    problems.append("compile error")
                break
        self.widgets = widgets
        return time.perf_counter() - start, problems, texts

    async def upload(self, widget_id: str, name: str, data: bytes) -> None:
        """Uploads one file as the browser does, and sets it as the uploader's value."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.Common_pb2 import FileUploaderState
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        request_id = uuid.uuid4().hex
        back = BackMsg()
        back.file_urls_request.request_id = request_id
        back.file_urls_request.file_names.append(name)
        back.file_urls_request.session_id = self.session_id
        await self.socket.send(back.SerializeToString())
        while True:
            message = ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(self.socket.recv(), self.run_timeout))
            response = message.file_urls_response
            if message.WhichOneof("type") == "file_urls_response" and (
                response.response_id == request_id
            ):
                break
        urls = message.file_urls_response.file_urls[0]
        await asyncio.to_thread(put_file, self.port, urls.upload_url, name, data)
        state = FileUploaderState()
        info = state.uploaded_file_info.add()
        info.file_id, info.name, info.size = urls.file_id, name, len(data)
        info.file_urls.CopyFrom(urls)
        self.state[widget_id] = state


def put_file(port: int, upload_url: str, name: str, data: bytes) -> None:
    """``PUT`` of one file to Streamlit's upload endpoint, with its XSRF cookie and header."""
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(base + "/_stcore/health", timeout=60) as page:  # sets the cookie
        cookies = page.headers.get_all("Set-Cookie") or []
    tokens = [c.split(";")[0].split("=", 1)[1] for c in cookies if "_streamlit_xsrf=" in c]
    if not tokens:
        raise OSError("the server set no XSRF cookie; cannot upload")
    token = tokens[0]
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        base + upload_url,
        data=body,
        method="PUT",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Xsrftoken": token,
            "Cookie": f"_streamlit_xsrf={token}",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status not in (200, 204):
            raise OSError(f"upload refused: HTTP {response.status}")


async def client(number: int, port: int, deadline: float, args, stats: Stats, photos, building):
    rng = random.Random(number)
    uploads = args.upload_every > 0 and number % args.upload_every == args.upload_every - 1

    def more() -> bool:  # search until the deadline, and while the build runs
        return time.monotonic() < deadline or building.is_set()

    try:
        async with Session(port, args.run_timeout) as session:
            seconds, problems, _ = await session.run()  # open the page
            stats.latencies.append(seconds)
            stats.errors += problems
            mode = session.widgets.get("Query")
            if mode is None:
                stats.errors.append("no query radio on the page (is a catalog open?)")
                return
            if uploads:
                session.state[mode.id] = "Upload photos"
                seconds, problems, _ = await session.run()
                uploader = next(
                    (
                        w
                        for label, w in session.widgets.items()
                        if label.startswith("Product photo")
                    ),
                    None,
                )
                if uploader is None:
                    stats.errors.append("no photo uploader in the upload query mode")
                    return
            else:
                session.state[mode.id] = "Pick a catalog item"
                seconds, problems, _ = await session.run()
                picker = session.widgets.get("Catalog item")
                if picker is None:
                    stats.errors.append("no catalog item picker after switching the query mode")
                    return
            stats.latencies.append(seconds)
            stats.errors += problems
            requests = 2
            while more() and requests < args.max_requests:
                if uploads:
                    path = rng.choice(photos)
                    await session.upload(uploader.id, path.name, path.read_bytes())
                    stats.uploads += 1
                else:
                    session.state[picker.id] = rng.choice(list(picker.options))
                seconds, problems, texts = await session.run()
                requests += 1
                stats.latencies.append(seconds)
                stats.errors += problems
                stats.searches += 1
                if not any("This design in other colours" in t or "Similar designs" in t
                           for t in texts):  # fmt: skip
                    stats.errors.append("search run showed no results")
                if not uploads:
                    picker = session.widgets.get("Catalog item", picker)
    except (OSError, asyncio.TimeoutError) as error:
        stats.errors.append(f"client {number}: {type(error).__name__}: {error}")
    except Exception as error:  # noqa: BLE001 - websockets' closed-connection errors and others
        stats.errors.append(f"client {number}: {type(error).__name__}: {error}")


async def drive(port: int, pid: int, args, build) -> tuple[Stats, float, float]:
    """The sessions, the memory sampler and (``build`` = (catalog, photos, labels)) the build."""
    from skill.catalog.store import open_catalog

    stats = Stats()
    deadline = time.monotonic() + args.duration
    peak = 0.0
    building = asyncio.Event()
    catalog = build[0] if build else None
    sample = open_catalog(catalog) if catalog else None
    photos = [sample.image_path(i) for i in range(0, len(sample.items), 7)] if sample else []

    async def sample_memory() -> None:
        nonlocal peak
        while time.monotonic() < deadline + args.run_timeout or building.is_set():
            peak = max(peak, peak_rss_mb(pid)[0])
            await asyncio.sleep(0.5)

    async def build_after(delay: float) -> None:
        building.set()
        try:
            await asyncio.sleep(delay)
            await run_build(*build, stats)
        finally:
            building.clear()

    sampler = asyncio.create_task(sample_memory())
    builder = asyncio.create_task(build_after(args.build_after)) if build else None
    start = time.monotonic()
    await asyncio.gather(
        *(client(i, port, deadline, args, stats, photos, building) for i in range(args.clients))
    )
    if builder is not None:
        await builder
    elapsed = time.monotonic() - start
    sampler.cancel()
    return stats, elapsed, peak


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent sessions")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=40, help="script runs per client")
    parser.add_argument("--run-timeout", type=float, default=120, help="seconds per run")
    parser.add_argument(
        "--data-dir", type=Path, help="existing data folder with catalogs (copied; never written)"
    )
    parser.add_argument("--designs", type=int, default=30, help="demo designs to generate")
    parser.add_argument("--encoder", default="imagenet-lite0", help="encoder for the catalog")
    parser.add_argument(
        "--upload-every", type=int, default=4, help="every n-th session uploads photos (0: none)"
    )
    parser.add_argument(
        "--build-designs", type=int, default=10, help="designs the build adds (0: no build)"
    )
    parser.add_argument(
        "--build-after", type=float, default=10, help="seconds of load before the build starts"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="skill-load-")
    data_dir = Path(scratch.name) / "data"
    if args.data_dir is None:
        prepare_data(data_dir, args.designs, args.encoder)
    else:  # the build writes into the catalog: never into the caller's folder
        shutil.copytree(args.data_dir, data_dir, symlinks=True)
    os.environ["SKILL_DATA_DIR"] = str(data_dir)
    from skill.catalog.registry import list_catalogs

    build = None
    if args.build_designs > 0:
        searched = list_catalogs()[0].path  # the catalog the app opens first
        photos = Path(scratch.name) / "new-photos"
        build = (searched, photos, new_photos(photos, args.build_designs))
    load_before = os.getloadavg()
    port = free_port()
    server = start_server(port, data_dir, Path(scratch.name) / "server.log")
    try:
        wait_healthy(port, server)
        idle_rss, _ = peak_rss_mb(server.pid)
        stats, elapsed, sampled_peak = asyncio.run(drive(port, server.pid, args, build))
        load_after = os.getloadavg()
        _, peak = peak_rss_mb(server.pid)
        alive = server.poll() is None
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    figures = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": len(stats.latencies),
        "searches": stats.searches,
        "uploads": stats.uploads,
        "errors": len(stats.errors),
        "latency_p50_s": round(percentile(stats.latencies, 50), 3),
        "latency_p95_s": round(percentile(stats.latencies, 95), 3),
        "latency_max_s": round(max(stats.latencies, default=float("nan")), 3),
        "requests_per_s": round(len(stats.latencies) / max(elapsed, 1e-9), 2),
        "server_rss_idle_mb": round(idle_rss, 1),
        "server_rss_peak_mb": round(max(peak, sampled_peak), 1),
        "server_alive_after": alive,
        "build": stats.build,
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15_before": [round(x, 2) for x in load_before],
        "load_average_1_5_15_after": [round(x, 2) for x in load_after],
    }
    print(json.dumps(figures, indent=2))
    for error in sorted(set(stats.errors))[:20]:
        print(f"error: {error}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({**figures, "error_messages": stats.errors[:50]}, indent=2))
    log = Path(scratch.name) / "server.log"
    if stats.errors and log.is_file():
        print("--- server log (tail) ---", file=sys.stderr)
        print("\n".join(log.read_text().splitlines()[-30:]), file=sys.stderr)
    scratch.cleanup()
    return 0 if not stats.errors and alive else 1


if __name__ == "__main__":
    raise SystemExit(main())
