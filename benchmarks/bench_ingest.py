"""Ingest throughput: the full embedding pipeline against a naive per-image timm loop.

Prints images/s of each variant beside the naive loop's, as a ratio measured in the same run:

- naive: ``PIL.Image.open`` -> timm eval transform -> ``model(x[None])``, one image at a time;
- ``embed_images`` with ``runtime="torch"``, ``"channels_last"`` and ``"onnx"`` (batched,
  decoding in threads overlapped with the model);
- ``build_catalog`` as a user runs it (runtime ``auto``: ONNX Runtime), which adds dominant
  colours, the versioned write, the index and a PCA map to the embedding;
- the stages alone (decode + resize; model on ready tensors), and the model's FLOP bound:
  GFLOPs per image (``torch.utils.flop_counter``) against this machine's sustained fp32
  matmul GFLOP/s.

Real photos come from ``../shared/data/hm_colour_variants`` when present, else generated.

    nice -n 10 python benchmarks/bench_ingest.py --images 200
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skill.encoders.embedding import embed_images, prepare  # noqa: E402
from skill.encoders.registry import create_encoder  # noqa: E402
from skill.paths import DEFAULT_TRAINING_DATA, project_path

HM_IMAGES = project_path(DEFAULT_TRAINING_DATA) / "images"


def describe_machine() -> str:
    """One line: cores, CPU model, torch threads, load."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} cores ({model}), torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads, Python {platform.python_version()}, "
        f"load average {load:.1f} at start, nice {os.nice(0)}"
    )


def find_images(count: int, folder: Path) -> tuple[list[Path], str]:
    """The first ``count`` H&M photos (sorted), or generated JPEGs when the data is absent."""
    if HM_IMAGES.is_dir():
        paths = sorted(HM_IMAGES.rglob("*.jpg"))[:count]
        if paths:
            return paths, f"{len(paths)} H&M photos from {HM_IMAGES}"
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        pixels = rng.integers(0, 256, (1166, 1750 // 2, 3), dtype=np.uint8)
        path = folder / f"gen_{i:04d}.jpg"
        Image.fromarray(pixels).resize((1166, 1750)).save(path, quality=90)
        paths.append(path)
    return paths, f"{count} generated 1166x1750 JPEGs (no shared data here)"


def run_naive(encoder, paths: list[Path]) -> tuple[float, np.ndarray]:
    """What a first script does: one image at a time through timm's own transform."""
    import timm
    from PIL import Image

    config = timm.data.resolve_data_config({}, model=encoder.backbone)
    transform = timm.data.create_transform(**config)
    outputs = []
    start = time.perf_counter()
    with torch.no_grad():
        for path in paths:
            x = transform(Image.open(path).convert("RGB"))
            outputs.append(encoder(x[None]).numpy())
    return len(paths) / (time.perf_counter() - start), np.concatenate(outputs)


def run_pipeline(encoder, paths, runtime: str, batch_size: int) -> tuple[float, np.ndarray]:
    embed_images(encoder, paths[:batch_size], batch_size, runtime=runtime)  # warm-up
    start = time.perf_counter()
    result = embed_images(encoder, paths, batch_size, num_threads=2, runtime=runtime)
    return len(paths) / (time.perf_counter() - start), result.embeddings


def run_build(encoder, paths, tmp: Path, batch_size: int) -> float:
    """Images/s of ``build_catalog`` itself: decode, embed (runtime ``auto``), dominant colour,
    versioned write, exact index and PCA map, from a folder of the same photos."""
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig

    folder = tmp / "build-photos"
    folder.mkdir()
    for i, path in enumerate(paths):  # real files: indexing refuses links leading outside
        target = folder / f"{i:05d}{path.suffix}"
        try:
            os.link(path, target)
        except OSError:  # another file system
            shutil.copyfile(path, target)
    from skill.encoders.onnx import create_onnx_encoder

    create_onnx_encoder(encoder)  # the export is once per encoder, like the line above
    start = time.perf_counter()
    build_catalog(
        folder,
        tmp / "build-catalog",
        encoders=[encoder],
        config=CatalogConfig(batch_size=batch_size, map=MapConfig(method="pca")),
    )
    return len(paths) / (time.perf_counter() - start)


def measure_model_flops(encoder) -> float:
    """GFLOPs (2 x multiply-adds) of one forward pass on one image."""
    from torch.utils.flop_counter import FlopCounterMode

    size = encoder.preprocess.input_size
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        encoder(torch.zeros(1, 3, size, size))
    return counter.get_total_flops() / 1e9


def measure_matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """Sustained fp32 GFLOP/s of a large square matmul: the machine's practical peak."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200, help="photos to embed (300 max useful)")
    parser.add_argument("--encoder", default="imagenet-lite0")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    print(f"machine: {describe_machine()}")
    encoder = create_encoder(args.encoder).eval()
    with tempfile.TemporaryDirectory() as tmp:
        paths, what = find_images(args.images, Path(tmp))
        print(f"images: {what}; encoder {args.encoder} @ {encoder.preprocess.input_size} px")

        start = time.perf_counter()
        from skill.encoders.onnx import create_onnx_encoder

        create_onnx_encoder(encoder, cache_dir=tmp)
        print(f"ONNX export + session: {time.perf_counter() - start:.1f} s (once per encoder)")

        naive_rate, naive_out = run_naive(encoder, paths)
        rates, outs = {}, {}
        for runtime in ("torch", "channels_last", "onnx"):
            rates[runtime], outs[runtime] = run_pipeline(encoder, paths, runtime, args.batch_size)
            encoder.to(memory_format=torch.contiguous_format)
        build_rate = run_build(encoder, paths, Path(tmp), args.batch_size)
        naive_again, _ = run_naive(encoder, paths[: max(20, len(paths) // 4)])

        # Stages alone: decode + resize in 2 threads; the model on ready tensors.
        from concurrent.futures import ThreadPoolExecutor

        start = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            tensors = list(pool.map(lambda p: prepare(p, encoder), paths))
        decode_rate = len(paths) / (time.perf_counter() - start)
        batch = torch.stack(tensors[: args.batch_size])
        onnx = create_onnx_encoder(encoder, cache_dir=tmp)
        model_rates = {}
        for name, model in (("torch", encoder), ("onnx", onnx)):
            with torch.inference_mode():
                model(batch)
                start = time.perf_counter()
                model(batch)
                model(batch)
            model_rates[name] = 2 * len(batch) / (time.perf_counter() - start)

    print()
    print(f"{'variant':<44}{'images/s':>10}{'x naive':>10}")
    print(f"{'naive per-image timm loop (baseline)':<44}{naive_rate:>10.1f}{1.0:>10.2f}")
    print(
        f"{'naive loop again, at the end (drift check)':<44}{naive_again:>10.1f}"
        f"{naive_again / naive_rate:>10.2f}"
    )
    for runtime, rate in rates.items():
        label = f"embed_images(runtime={runtime!r}, batch {args.batch_size})"
        print(f"{label:<44}{rate:>10.1f}{rate / naive_rate:>10.2f}")
    print(f"{'build_catalog, runtime auto (whole product)':<44}{build_rate:>10.1f}"
          f"{build_rate / naive_rate:>10.2f}")  # fmt: skip
    print(f"{'stage: decode + resize only, 2 threads':<44}{decode_rate:>10.1f}")
    for name, rate in model_rates.items():
        print(f"{'stage: model only, ' + name + ', ready batch':<44}{rate:>10.1f}")

    print()
    for runtime, out in outs.items():
        diff = float(np.abs(out - naive_out).max())
        cos = float((out * naive_out).sum(axis=1).min())
        print(f"equality {runtime:<14} vs naive: max |diff| {diff:.2e}, min cosine {cos:.6f}")
    diff = float(np.abs(outs["onnx"] - outs["torch"]).max())
    print(f"equality onnx vs torch pipeline: max |diff| {diff:.2e}")

    gflops_per_image = measure_model_flops(encoder)
    peak = measure_matmul_gflops()
    best = max(rates.values())
    print()
    print(f"model: {gflops_per_image:.3f} GFLOPs per image (forward, 2 x MACs)")
    print(f"machine: {peak:.1f} GFLOP/s sustained fp32 matmul (2048^2 torch.mm, best of 5)")
    print(
        f"FLOP bound: {peak / gflops_per_image:.1f} images/s; best pipeline {best:.1f} images/s "
        f"= {best * gflops_per_image / peak:.0%} of it; model-only onnx "
        f"{model_rates['onnx'] * gflops_per_image / peak:.0%}, torch "
        f"{model_rates['torch'] * gflops_per_image / peak:.0%}"
    )


if __name__ == "__main__":
    main()
