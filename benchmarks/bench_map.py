"""Catalog maps: UMAP fit time at index time, query placement, and browser render time.

Prints, each beside its baseline:

- UMAP fit (``skill.catalog.projection.fit_map``) at 10k and 100k rows of synthetic clustered vectors,
  in this fresh process, with numba's one-off compile measured separately (a 300-point fit
  first); baseline: the PCA map.
- placing one query photo on the map (``place_on_map``, k-NN weighted mean) against UMAP's
  own ``transform`` on the fitted model; and a fresh process that places a query imports
  neither umap nor numba (so no compile cost can land on a page load).
- rendering a 100k-point map in headless Chromium: plotly ``scattergl`` (WebGL) against the
  SVG ``scatter``, from navigation start to the ``plotly_afterplot`` event.

    nice -n 10 python benchmarks/bench_map.py --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ingest import describe_machine  # noqa: E402
from bench_search import make_vectors  # noqa: E402

from skill.catalog.projection import MapConfig, fit_map, place_on_map  # noqa: E402

CHROME = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
NO_NUMBA_CHECK = """
import sys, time, numpy as np
sys.path.insert(0, {root!r})
start = time.perf_counter()
from skill.catalog.projection import place_on_map
rng = np.random.default_rng(0)
xb = rng.standard_normal((10000, 64)).astype(np.float32)
xb /= np.linalg.norm(xb, axis=1, keepdims=True)
place_on_map(xb[:1], xb, rng.standard_normal((10000, 2)).astype(np.float32))
print(f"{{time.perf_counter() - start:.2f}}", "umap" in sys.modules, "numba" in sys.modules)
"""


def time_fits(sizes: list[int], dim: int, clusters: int) -> dict[int, tuple[np.ndarray, object]]:
    import umap

    start = time.perf_counter()
    fit_map(make_vectors(300, dim, clusters, seed=3).astype(np.float32))
    print(
        f"first UMAP fit in this process (300 rows, numba compile): "
        f"{time.perf_counter() - start:.1f} s"
    )
    fitted = {}
    print(f"{'rows':>9}{'UMAP fit s':>12}{'PCA fit s (baseline)':>22}")
    for n in sizes:
        x = make_vectors(n, dim, clusters, seed=1).astype(np.float32)
        start = time.perf_counter()
        coords = fit_map(x, MapConfig())
        umap_s = time.perf_counter() - start
        start = time.perf_counter()
        fit_map(x, MapConfig(method="pca"))
        pca_s = time.perf_counter() - start
        print(f"{n:>9,}{umap_s:>12.1f}{pca_s:>22.2f}")
        fitted[n] = (x, coords)
    # UMAP's own transform needs the fitted model; refit the smallest size to keep it.
    n = min(sizes)
    x = fitted[n][0]
    reducer = umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", random_state=0).fit(x)
    fitted["reducer"] = reducer
    return fitted


def time_placement(fitted, dim: int, clusters: int, repeats: int = 20) -> None:
    queries = make_vectors(repeats, dim, clusters, seed=9).astype(np.float32)
    for n, value in fitted.items():
        if n == "reducer":
            continue
        x, coords = value
        times = []
        for q in queries:
            start = time.perf_counter()
            place_on_map(q[None], x, coords)
            times.append((time.perf_counter() - start) * 1000)
        print(f"place_on_map, one query, {n:,} rows: p50 {np.median(times):.1f} ms")
    reducer = fitted["reducer"]
    reducer.transform(queries[:1])  # compile its transform path first
    times = []
    for q in queries[:5]:
        start = time.perf_counter()
        reducer.transform(q[None])
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"baseline UMAP.transform, one query, {len(reducer.embedding_):,} rows: "
        f"p50 {np.median(times):.1f} ms (after its own compile)"
    )
    out = subprocess.run(
        [sys.executable, "-c", NO_NUMBA_CHECK.format(root=str(ROOT))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    print(
        f"fresh process: import + place_on_map in {out[0]} s; umap imported: {out[1]}, "
        f"numba imported: {out[2]}"
    )


def render_html(n: int, kind: str, path: Path) -> None:
    """Writes a standalone page (plotly.js inline) that records when the plot is drawn."""
    import plotly.graph_objects as go
    import plotly.io as pio

    rng = np.random.default_rng(0)
    xy = rng.standard_normal((n, 2)).astype(np.float32)
    trace = go.Scattergl if kind == "scattergl" else go.Scatter
    fig = go.Figure(trace(x=xy[:, 0], y=xy[:, 1], mode="markers", marker={"size": 3}))
    fig.update_layout(width=900, height=700)
    # plotly runs post_script in newPlot's promise, which resolves right after it emits
    # plotly_afterplot; a listener added here would come too late, so the promise stamps it.
    record = "console.log('SKILL_DRAWN ' + performance.now());"
    html = pio.to_html(fig, include_plotlyjs=True, full_html=True, post_script=record)
    path.write_text(html)


def time_render(n: int, kind: str, folder: Path, timeout: float = 300) -> str:
    """Opens the page in headless Chromium and reads the draw time from its console log.

    Chromium is run directly (its console goes to stderr), not through selenium: on a
    saturated machine webdriver's 120 s command timeout fired before the page was parsed.
    """
    import os
    import signal

    path = folder / f"{kind}_{n}.html"
    render_html(n, kind, path)
    command = [
        CHROME,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--enable-unsafe-swiftshader",
        "--disable-dev-shm-usage",
        "--window-size=1000,800",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={folder / ('profile-' + kind)}",
        path.as_uri(),
    ]
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    drawn = None
    try:
        for line in process.stderr:
            if "SKILL_DRAWN" in line:
                drawn = float(line.split("SKILL_DRAWN", 1)[1].split()[0].strip('",'))
                break
            if time.perf_counter() - start > timeout:
                break
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the browser we started, and its children
        process.wait()
    wall = time.perf_counter() - start
    size_mb = path.stat().st_size / 1e6
    if drawn is None:
        return f"not drawn within {timeout:.0f} s ({size_mb:.1f} MB page)"
    return (
        f"{drawn / 1000:6.2f} s from navigation to plotly_afterplot "
        f"({wall:.1f} s including browser start; {size_mb:.1f} MB page)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--render-points", type=int, default=100_000)
    parser.add_argument("--skip-fit", action="store_true")
    parser.add_argument("--skip-render", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"machine: {describe_machine()}")
    print(f"data: synthetic {args.dim}-d unit vectors, {args.clusters}-cluster Gaussian mixture")
    if not args.skip_fit:
        fitted = time_fits(sizes, args.dim, args.clusters)
        time_placement(fitted, args.dim, args.clusters)
    if not args.skip_render:
        n = args.render_points
        with tempfile.TemporaryDirectory() as tmp:
            for kind in ("scattergl", "scatter"):
                label = kind + (" (SVG, baseline)" if kind == "scatter" else " (WebGL)")
                print(f"render {n:,} points, {label}: {time_render(n, kind, Path(tmp))}")


if __name__ == "__main__":
    main()
