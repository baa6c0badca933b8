"""Load test of the real app: many concurrent sessions against one Streamlit server.

Starts ``streamlit run app.py`` on a free loopback port over a small generated catalog, then
drives ``--clients`` sessions at once for ``--duration`` seconds. Each session speaks Streamlit's
own websocket protocol (``/_stcore/stream``, protobuf ``BackMsg`` / ``ForwardMsg``), exactly what
a browser tab sends: it opens the page, switches the query to "Pick a catalog item", then
searches random catalog items one after the other. A request is one script run, from the
``rerun_script`` message to ``script_finished``.

Errors counted: connection failures, runs that time out, runs that end with an exception
element on the page or a compile error, and search runs that show no results. Reported:
requests, errors, latency p50 / p95 / max, and the server's peak resident memory (VmHWM).

Usage:
    python benchmarks/load_test.py --clients 20 --duration 60
    python benchmarks/load_test.py --data-dir data   # use existing catalogs instead
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
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


class Session:
    """One browser tab, speaking Streamlit's websocket protocol."""

    def __init__(self, port: int, run_timeout: float) -> None:
        self.url = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.run_timeout = run_timeout
        self.widgets: dict[str, object] = {}  # label -> element proto of the last run
        self.state: dict[str, str] = {}  # widget id -> string value sent

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
            widget.string_value = value
        back.rerun_script.query_string = ""
        start = time.perf_counter()
        await self.socket.send(back.SerializeToString())
        problems, texts, widgets = [], [], {}
        while True:
            raw = await asyncio.wait_for(self.socket.recv(), self.run_timeout)
            message = ForwardMsg()
            message.ParseFromString(raw)
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                element_kind = element.WhichOneof("type")
                if element_kind == "exception":
                    problems.append(f"exception: {element.exception.message[:200]}")
                elif element_kind == "alert" and element.alert.format == 1:  # ERROR
                    problems.append(f"error shown: {element.alert.body[:200]}")
                elif element_kind == "markdown":
                    texts.append(element.markdown.body)
                elif element_kind in ("radio", "selectbox"):
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


async def client(number: int, port: int, deadline: float, args, stats: Stats) -> None:
    rng = random.Random(number)
    try:
        async with Session(port, args.run_timeout) as session:
            seconds, problems, _ = await session.run()  # open the page
            stats.latencies.append(seconds)
            stats.errors += problems
            mode = session.widgets.get("Query")
            if mode is None:
                stats.errors.append("no query radio on the page (is a catalog open?)")
                return
            session.state[mode.id] = "Pick a catalog item"
            seconds, problems, _ = await session.run()
            stats.latencies.append(seconds)
            stats.errors += problems
            picker = session.widgets.get("Catalog item")
            if picker is None:
                stats.errors.append("no catalog item picker after switching the query mode")
                return
            requests = 2
            while time.monotonic() < deadline and requests < args.max_requests:
                session.state[picker.id] = rng.choice(list(picker.options))
                seconds, problems, texts = await session.run()
                requests += 1
                stats.latencies.append(seconds)
                stats.errors += problems
                stats.searches += 1
                if not any("This design in other colours" in t or "Similar designs" in t
                           for t in texts):  # fmt: skip
                    stats.errors.append("search run showed no results")
    except (OSError, asyncio.TimeoutError) as error:
        stats.errors.append(f"client {number}: {type(error).__name__}: {error}")
    except Exception as error:  # noqa: BLE001 - websockets' closed-connection errors and others
        stats.errors.append(f"client {number}: {type(error).__name__}: {error}")


async def drive(port: int, pid: int, args) -> tuple[Stats, float, float]:
    stats = Stats()
    deadline = time.monotonic() + args.duration
    peak = 0.0

    async def sample_memory() -> None:
        nonlocal peak
        while time.monotonic() < deadline + args.run_timeout:
            peak = max(peak, peak_rss_mb(pid)[0])
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_memory())
    start = time.monotonic()
    await asyncio.gather(*(client(i, port, deadline, args, stats) for i in range(args.clients)))
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
    parser.add_argument("--data-dir", type=Path, help="existing data folder with catalogs")
    parser.add_argument("--designs", type=int, default=30, help="demo designs to generate")
    parser.add_argument("--encoder", default="imagenet-lite0", help="encoder for the catalog")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="skill-load-")
    data_dir = args.data_dir or Path(scratch.name)
    if args.data_dir is None:
        prepare_data(data_dir, args.designs, args.encoder)
    port = free_port()
    server = start_server(port, data_dir, Path(scratch.name) / "server.log")
    try:
        wait_healthy(port, server)
        idle_rss, _ = peak_rss_mb(server.pid)
        stats, elapsed, sampled_peak = asyncio.run(drive(port, server.pid, args))
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
        "errors": len(stats.errors),
        "latency_p50_s": round(percentile(stats.latencies, 50), 3),
        "latency_p95_s": round(percentile(stats.latencies, 95), 3),
        "latency_max_s": round(max(stats.latencies, default=float("nan")), 3),
        "requests_per_s": round(len(stats.latencies) / max(elapsed, 1e-9), 2),
        "server_rss_idle_mb": round(idle_rss, 1),
        "server_rss_peak_mb": round(max(peak, sampled_peak), 1),
        "server_alive_after": alive,
        "cpu_count": os.cpu_count(),
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
