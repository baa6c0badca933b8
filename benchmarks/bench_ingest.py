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

- ``build_catalog`` with ``runtime="onnx-int8"`` (:mod:`skill.encoders.quantize`), and the
  int8 model stage beside the float one.
- ``build-spinning``: the float build with ONNX Runtime's worker threads left spinning between
  operators (what searches do; builds turn it off, :func:`skill.encoders.onnx.onnx_session`).
- ``build-plain`` and ``build-int8-plain``: the same builds without the attribute model
  (``--attributes none``): embedding, colours, index and map only. With the attribute model, a
  build whose encoder does not share its trunk runs a second network over every photo.

Real photos come from ``../shared/data/hm_colour_variants`` when present, else generated;
``--large`` uses the same photos upscaled to 2000x3000 (written once under ``data/``, which git
ignores), the size of real catalog photos, where decoding dominates.

    nice -n 10 python benchmarks/bench_ingest.py --images 200
    python benchmarks/bench_ingest.py --images 1000 \
        --variants naive,onnx,build,build-int8,build-plain,build-int8-plain,stages
    python benchmarks/bench_ingest.py --images 1000 --large \
        --variants naive,onnx,build,build-int8,build-plain,build-int8-plain,stages
"""

from __future__ import annotations

import argparse
import contextlib
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
from skill.paths import DEFAULT_TRAINING_DATA, project_path  # noqa: E402

HM_IMAGES = project_path(DEFAULT_TRAINING_DATA) / "images"
LARGE_DIR = Path(__file__).resolve().parent.parent / "data" / "bench-large-2000x3000"
VARIANTS = (
    "naive", "torch", "channels_last", "onnx", "build", "build-int8", "build-plain",
    "build-int8-plain", "build-spinning", "stages", "flops", "colours",
)  # fmt: skip
BUILDS = {  # variant -> (runtime, attribute model)
    "build": ("auto", "auto"),
    "build-int8": ("onnx-int8", "auto"),
    "build-plain": ("auto", None),
    "build-int8-plain": ("onnx-int8", None),
    "build-spinning": ("auto", "auto"),
}


def describe_machine() -> str:
    """One line: cores, CPU model and its int8 instructions (:mod:`skill.encoders.cpu`),
    torch threads, load."""
    from skill.encoders.cpu import int8_instructions

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
        f"{os.cpu_count()} cores ({model}, int8: {int8_instructions()}), "
        f"torch {torch.__version__} with "
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


def make_large_photos(paths: list[Path], folder: Path = LARGE_DIR) -> list[Path]:
    """The photos upscaled (bicubic) to 2000x3000 JPEGs (quality 90), written once."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    large = []
    for path in paths:
        target = folder / path.name
        if not target.exists():
            staging = target.with_suffix(".tmp.jpg")
            with Image.open(path) as image:
                image.convert("RGB").resize((2000, 3000), Image.Resampling.BICUBIC).save(
                    staging, quality=90
                )
            staging.replace(target)
        large.append(target)
    return large


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


def link_photos(paths: list[Path], folder: Path) -> None:
    """``folder`` with hard links (or copies) of ``paths``: indexing refuses symbolic links
    leading outside the folder it indexes."""
    folder.mkdir()
    for i, path in enumerate(paths):
        target = folder / f"{i:05d}{path.suffix}"
        try:
            os.link(path, target)
        except OSError:  # another file system
            shutil.copyfile(path, target)


def run_build(
    encoder, paths, tmp: Path, batch_size: int, runtime: str = "auto", attributes="auto"
) -> float:
    """Images/s of ``build_catalog`` itself: decode, embed (``runtime``), dominant colour,
    attributes (``attributes``: the shipped model, or ``None``), versioned write, exact index
    and PCA map, from a folder of the same photos.

    The ONNX export (and for int8 the calibration) is done first, once per encoder, as a
    catalog's later builds find it done."""
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig

    folder = tmp / "build-photos"
    if not folder.exists():
        link_photos(paths, folder)
    catalog = tmp / f"build-catalog-{runtime}-{attributes}"
    shutil.rmtree(catalog, ignore_errors=True)  # every timed build starts from no catalog
    config = CatalogConfig(
        batch_size=batch_size, map=MapConfig(method="pca"), runtime=runtime, attributes=attributes
    )
    if runtime == "onnx-int8":  # calibrate once, as a catalog's first build does
        from skill.catalog.build import _cache_folder
        from skill.encoders.quantize import create_int8_encoder

        sample = np.random.default_rng(0).permutation(len(paths))[:256]
        create_int8_encoder(
            encoder, [paths[i] for i in sample], _cache_folder(catalog, encoder, config)
        )
    else:
        from skill.encoders.onnx import create_onnx_encoder

        create_onnx_encoder(encoder)
    if attributes == "auto":  # the attribute network's export (int8: model), done once too
        from skill.attributes.checkpoint import DEFAULT_MODEL, load_attribute_model
        from skill.catalog.attributes import cache_folder
        from skill.catalog.ingest import batch_model

        model = load_attribute_model(DEFAULT_MODEL)
        sample = np.random.default_rng(0).permutation(len(paths))[:256]
        batch_model(
            model.network(with_trunk=True),
            runtime if runtime == "onnx-int8" else "onnx",
            [paths[i] for i in sample],
            cache_folder(catalog, model, runtime),
        )
    start = time.perf_counter()
    build_catalog(folder, catalog, encoders=[encoder], config=config)
    return len(paths) / (time.perf_counter() - start)


@contextlib.contextmanager
def spinning_sessions(on: bool):
    """While ``on``, every new ONNX Runtime session spins between operators, as a search's
    does (a build's own sessions do not); fresh sessions, not those a build cached."""
    import skill.encoders.onnx as onnx

    if not on:
        yield
        return
    original, cached = onnx.onnx_session, dict(onnx._CACHE)
    onnx.onnx_session = lambda path, num_threads=0, spinning=True: original(path, num_threads)
    onnx._CACHE.clear()
    try:
        yield
    finally:
        onnx.onnx_session = original
        onnx._CACHE.clear()
        onnx._CACHE.update(cached)


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
    parser.add_argument("--images", type=int, default=200, help="photos to embed")
    parser.add_argument("--encoder", default="imagenet-lite0")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--large", action="store_true", help="the photos upscaled to 2000x3000")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma list of {VARIANTS}")
    parser.add_argument("--rounds", type=int, default=7, help="model-stage timing rounds (median)")
    args = parser.parse_args()
    variants = set(args.variants.split(","))
    if variants - set(VARIANTS):
        parser.error(f"--variants: choose from {VARIANTS}")

    print(f"machine: {describe_machine()}")
    print(f"command: python {' '.join(sys.argv)}")
    encoder = create_encoder(args.encoder).eval()
    with tempfile.TemporaryDirectory() as tmp:
        paths, what = find_images(args.images, Path(tmp))
        if args.large:
            start = time.perf_counter()
            paths = make_large_photos(paths)
            what += f", upscaled to 2000x3000 in {LARGE_DIR} ({time.perf_counter() - start:.0f} s)"
        print(f"images: {what}; encoder {args.encoder} @ {encoder.preprocess.input_size} px")

        start = time.perf_counter()
        from skill.encoders.onnx import create_onnx_encoder

        create_onnx_encoder(encoder, cache_dir=tmp)
        print(f"ONNX export + session: {time.perf_counter() - start:.1f} s (once per encoder)")

        naive_rate, naive_out = run_naive(encoder, paths)
        print(f"naive done ({_load()})", flush=True)
        rates, outs, builds = {}, {}, {}
        for runtime in ("torch", "channels_last", "onnx"):
            if runtime in variants:
                rates[runtime], outs[runtime] = run_pipeline(
                    encoder, paths, runtime, args.batch_size
                )
                encoder.to(memory_format=torch.contiguous_format)
                print(f"{runtime} done ({_load()})", flush=True)
        for variant, (runtime, attributes) in BUILDS.items():
            if variant in variants:
                with spinning_sessions(variant == "build-spinning"):
                    builds[variant] = run_build(
                        encoder, paths, Path(tmp), args.batch_size, runtime, attributes
                    )
                print(f"{variant} done ({_load()})", flush=True)
        naive_again, _ = run_naive(encoder, paths[: max(20, len(paths) // 4)])

        model_rates, decode_rate = {}, None
        if "stages" in variants:
            # Stages alone: decode + resize in 2 threads; the models on one ready batch.
            from concurrent.futures import ThreadPoolExecutor

            from skill.encoders.quantize import create_int8_encoder

            start = time.perf_counter()
            with ThreadPoolExecutor(2) as pool:
                tensors = list(pool.map(lambda p: prepare(p, encoder), paths))
            decode_rate = len(paths) / (time.perf_counter() - start)
            batch = torch.stack(tensors[: args.batch_size])
            sample = np.random.default_rng(0).permutation(len(paths))[:256]
            models = {
                "torch": encoder,
                "onnx": create_onnx_encoder(encoder, cache_dir=tmp, spinning=False),
                "onnx-int8": create_int8_encoder(
                    encoder, [paths[i] for i in sample], Path(tmp) / "int8", spinning=False
                ),
            }
            model_rates = time_models(models, batch, args.rounds)

    print()
    print(f"{'variant':<48}{'images/s':>10}{'x naive':>10}")
    print(f"{'naive per-image timm loop (baseline)':<48}{naive_rate:>10.1f}{1.0:>10.2f}")
    print(
        f"{'naive loop again, at the end (drift check)':<48}{naive_again:>10.1f}"
        f"{naive_again / naive_rate:>10.2f}"
    )
    for runtime, rate in rates.items():
        label = f"embed_images(runtime={runtime!r}, batch {args.batch_size})"
        print(f"{label:<48}{rate:>10.1f}{rate / naive_rate:>10.2f}")
    for variant, rate in builds.items():
        runtime, attributes = BUILDS[variant]
        label = f"build_catalog, {runtime}, attributes {'on' if attributes else 'off'}"
        label += ", spinning" if variant == "build-spinning" else ""
        print(f"{label:<48}{rate:>10.1f}{rate / naive_rate:>10.2f}")
    if decode_rate is not None:
        print(f"{'stage: decode + resize only, 2 threads':<48}{decode_rate:>10.1f}")
    for name, rate in model_rates.items():
        print(f"{'stage: model only, ' + name + ', ready batch':<48}{rate:>10.1f}")
    if model_rates:
        ratio = model_rates["onnx-int8"] / model_rates["onnx"]
        print(f"int8 model stage / float ONNX model stage: {ratio:.2f}x (median of {args.rounds})")

    if outs:
        print()
    for runtime, out in outs.items():
        diff = float(np.abs(out - naive_out).max())
        cos = float((out * naive_out).sum(axis=1).min())
        print(f"equality {runtime:<14} vs naive: max |diff| {diff:.2e}, min cosine {cos:.6f}")
    if {"onnx", "torch"} <= set(outs):
        diff = float(np.abs(outs["onnx"] - outs["torch"]).max())
        print(f"equality onnx vs torch pipeline: max |diff| {diff:.2e}")

    if "colours" in variants:
        print()
        print(compare_colours(paths, encoder))

    if "flops" in variants:
        gflops_per_image = measure_model_flops(encoder)
        peak = measure_matmul_gflops()
        best = max([*rates.values(), *builds.values()])
        print()
        print(f"model: {gflops_per_image:.3f} GFLOPs per image (forward, 2 x MACs)")
        print(f"machine: {peak:.1f} GFLOP/s sustained fp32 matmul (2048^2 torch.mm, best of 5)")
        print(
            f"FLOP bound: {peak / gflops_per_image:.1f} images/s; best pipeline {best:.1f} "
            f"images/s = {best * gflops_per_image / peak:.0%} of it"
        )
    print(f"\nend: {_load()}")


def compare_colours(paths: list[Path], encoder) -> str:
    """Dominant colours from the build's one decode (the encoder's draft size) against the
    separate colour decode builds used before (JPEG draft 128)."""
    from skill.images.colors import dominant_color
    from skill.images.decode import load_image

    size = encoder.preprocess.decode_size
    same, diffs = 0, []
    for path in paths:
        before = dominant_color(load_image(path, draft_size=128))
        now = dominant_color(load_image(path, draft_size=size))
        same += before.name == now.name
        a, b = (np.asarray([int(c.hex[i : i + 2], 16) for i in (1, 3, 5)]) for c in (before, now))
        diffs.append(int(np.abs(a - b).max()))
    diffs = np.asarray(diffs)
    return (
        f"colours from the shared decode (draft {size}) vs a separate draft-128 decode: same name "
        f"for {same / len(paths):.1%} of {len(paths)} photos; hex identical {np.mean(diffs == 0):.1%}, "
        f"within 8 per channel {np.mean(diffs <= 8):.1%}, largest difference {diffs.max()}"
    )


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def time_models(models: dict, batch: torch.Tensor, rounds: int) -> dict[str, float]:
    """Images/s of each model on one ready batch; median of ``rounds`` timed runs.

    Each model runs its rounds in a block of its own (one untimed run first), and the blocks
    run twice in turn (A B A B), so drift hits every model alike. Models timed back to back in
    single runs (A B A B per batch) measure each other: the worker threads of the one that just
    finished (ONNX Runtime spinning, OpenMP waiting) still hold the cores while the next starts.
    Give ONNX models built with ``spinning=False``, as a build runs them.
    """
    import statistics

    times: dict[str, list[float]] = {name: [] for name in models}
    with torch.inference_mode():
        for block in (rounds - rounds // 2, rounds // 2):
            for name, model in models.items():
                model(batch)
                for _ in range(block):
                    start = time.perf_counter()
                    model(batch)
                    times[name].append(time.perf_counter() - start)
    return {name: len(batch) / statistics.median(t) for name, t in times.items()}


if __name__ == "__main__":
    main()
