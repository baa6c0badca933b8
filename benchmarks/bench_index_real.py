"""Index recall and latency on vectors of real photos, beside synthetic clustered vectors.

``bench_search.py`` measures recall on a Gaussian mixture, where IVF finds every neighbour at
nprobe 8. Real catalog vectors are less tidy: near-duplicates, colourways of one design and
dense regions of look-alike basics. This script embeds the shared H&M photos and augmented
copies of each (random crop of 60-100 % of the area, mirror, hue shift, brightness and
contrast jitter, small rotation: ``--copies`` per photo, about 100k vectors with 10), holds out
``--queries`` augmented vectors as queries, and measures recall@10 against exact search and
single-query latency for the index kinds a large catalog gets (IVF, IVF-fp16, IVF-PQ with and
without exact re-ranking) at several nprobe; then the same on as many synthetic vectors.

The embeddings are cached under ``data/`` (git-ignored): the first run embeds (16 min on 2
quiet cores with 10 copies, about an hour on busy ones), later runs only index.

    python benchmarks/bench_index_real.py --copies 10
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import HM_IMAGES, describe_machine
from bench_search import exact_top_k, index_bytes, make_vectors, recall_at_k, time_queries

from skill.catalog.index import IndexConfig, build_index, rerank, search

CACHE = Path(__file__).resolve().parent.parent / "data" / "bench-real-vectors"
K = 10


def augment(image, rng):
    """One augmented copy: crop, mirror, hue shift, brightness/contrast, small rotation."""
    from PIL import Image, ImageEnhance, ImageOps

    width, height = image.size
    scale = rng.uniform(0.6, 1.0)
    w, h = int(width * np.sqrt(scale)), int(height * np.sqrt(scale))
    left, top = rng.integers(0, width - w + 1), rng.integers(0, height - h + 1)
    out = image.crop((left, top, left + w, top + h))
    if rng.random() < 0.5:
        out = ImageOps.mirror(out)
    hsv = np.asarray(out.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(int) + int(rng.integers(0, 256))) % 256
    out = Image.fromarray(hsv, "HSV").convert("RGB")
    out = ImageEnhance.Brightness(out).enhance(rng.uniform(0.8, 1.2))
    out = ImageEnhance.Contrast(out).enhance(rng.uniform(0.8, 1.2))
    return out.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BILINEAR, fillcolor="white")


def embed_real(encoder_name: str, copies: int, photos: int = 0, batch_size: int = 64) -> np.ndarray:
    """Embeddings of the shared photos (the first ``photos`` by path; 0: every one) and
    ``copies`` augmented copies of each (cached)."""
    import torch

    from skill.encoders.onnx import create_onnx_encoder
    from skill.encoders.registry import create_encoder
    from skill.images.decode import load_image
    from skill.images.preprocess import to_tensor

    limit = photos
    path = CACHE / (
        f"{encoder_name}-copies{copies}" + (f"-photos{limit}" if limit else "") + ".npy"
    )
    if path.exists():
        return np.load(path)
    encoder = create_encoder(encoder_name).eval()
    model = create_onnx_encoder(encoder)
    photos = sorted(HM_IMAGES.rglob("*.jpg"))[: limit or None]

    def inputs(i: int) -> list[np.ndarray]:
        image = load_image(photos[i])
        rng = np.random.default_rng(i)
        views = [image] + [augment(image, rng) for _ in range(copies)]
        return [to_tensor(view, encoder.preprocess).numpy() for view in views]

    out = np.empty((len(photos) * (copies + 1), encoder.embedding_dim), np.float32)
    per_batch = max(1, batch_size // (copies + 1))
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        for first in range(0, len(photos), per_batch):
            rows = range(first, min(len(photos), first + per_batch))
            views = [v for group in pool.map(inputs, rows) for v in group]
            vectors = model(torch.from_numpy(np.stack(views))).numpy()
            out[first * (copies + 1) : first * (copies + 1) + len(vectors)] = vectors
            if first % (per_batch * 50) == 0:
                done = first + len(rows)
                rate = done * (copies + 1) / (time.perf_counter() - start)
                print(f"  embedded {done}/{len(photos)} photos, {rate:.1f} images/s, {_load()}",
                      flush=True)  # fmt: skip
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def measure(name: str, xb: np.ndarray, xq: np.ndarray, nprobes, lines: list[str]) -> None:
    truth = exact_top_k(xq, xb)
    flat = build_index(xb, IndexConfig(kind="flat"))
    _, p50, p95 = time_queries(lambda q: search(flat, q, K)[1], xq[:200])
    lines.append(f"{name:<10}{'flat (exact)':<22}{'':>9}{xb.shape[1] * 4:>10,}{1.0:>10.3f}"
                 f"{p50:>9.2f}{p95:>9.2f}")  # fmt: skip
    for kind in ("ivf", "ivf-fp16", "ivf-pq"):
        start = time.perf_counter()
        index = build_index(xb, IndexConfig(kind=kind))
        seconds = time.perf_counter() - start
        size = index_bytes(index, xb.shape[1]) / len(xb)
        for nprobe in nprobes:
            index.nprobe = nprobe
            variants = [(f"{kind} nprobe {nprobe}", lambda q, i=index: search(i, q, K)[1])]
            if kind == "ivf-pq":
                variants.append(
                    (f"{kind} {nprobe} +rerank", lambda q, i=index: rerank(q, search(i, q, 100)[1], xb, K)[1])
                )  # fmt: skip
            for label, fn in variants:
                found, p50, p95 = time_queries(fn, xq)
                lines.append(f"{name:<10}{label:<22}{seconds:>9.1f}{size:>10,.0f}"
                             f"{recall_at_k(found, truth):>10.3f}{p50:>9.2f}{p95:>9.2f}")  # fmt: skip
        print(f"{name} {kind} done ({_load()})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="imagenet-lite0")
    parser.add_argument("--copies", type=int, default=10, help="augmented copies per photo")
    parser.add_argument("--photos", type=int, default=0, help="first N shared photos (0: all)")
    parser.add_argument("--queries", type=int, default=1000, help="held-out augmented vectors")
    parser.add_argument("--nprobes", default="8,32,128")
    args = parser.parse_args()

    print(f"machine: {describe_machine()}")
    print(f"command: python {' '.join(sys.argv)}")
    vectors = embed_real(args.encoder, args.copies, args.photos)
    rng = np.random.default_rng(0)
    group = args.copies + 1
    copies = np.flatnonzero(np.arange(len(vectors)) % group != 0)  # never an original photo
    held = np.sort(rng.choice(copies, args.queries, replace=False))
    keep = np.setdiff1d(np.arange(len(vectors)), held)
    xb, xq = vectors[keep], vectors[held]
    synthetic = make_vectors(len(xb), xb.shape[1], max(1, int(np.sqrt(len(xb)))), seed=0)
    synthetic_q = make_vectors(args.queries, xb.shape[1], max(1, int(np.sqrt(len(xb)))), seed=1)
    print(f"real: {len(xb):,} vectors ({len(xb) // group:,} photos x {group} views) + "
          f"{len(xq):,} held-out queries; synthetic: as many, Gaussian mixture")  # fmt: skip
    nprobes = [int(n) for n in args.nprobes.split(",")]
    lines: list[str] = []
    measure("real", xb, xq, nprobes, lines)
    measure("synthetic", np.asarray(synthetic, np.float32), np.asarray(synthetic_q, np.float32),
            nprobes, lines)  # fmt: skip
    print()
    print(f"{'vectors':<10}{'index':<22}{'build s':>9}{'B/vector':>10}{'recall@10':>10}"
          f"{'p50 ms':>9}{'p95 ms':>9}")  # fmt: skip
    print("\n".join(lines))
    print(f"\nend: {_load()}")


if __name__ == "__main__":
    main()
